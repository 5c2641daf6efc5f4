import pytest
from django.urls import reverse

from approvals.models import Filing, ReturnState
from approvals.services import steps
from approvals.tests.factories import CampaignFactory, bulk_accounts, filing_in, return_in
from registry.models import Department
from registry.tests.factories import DepartmentFactory

URL = reverse("approvals:return_list")


def _rows(response):
    return {row.name: row for row in response.context["page"]}


def test_it_lists_every_department_with_its_return(client_for, reviewer, department):
    campaign = CampaignFactory()
    waiting = DepartmentFactory(name="未报送的学院")
    filing_in(Filing.State.DRAFT, department=waiting)
    filing_in(Filing.State.RETURNED, department=waiting)
    done = return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
    # A return to another campaign is not this campaign's.
    return_in(ReturnState.ACCEPTED, campaign=CampaignFactory(is_active=False), department=waiting)
    response = client_for(reviewer).get(URL)
    assert response.status_code == 200
    rows = _rows(response)
    assert set(rows) == {department.name, "未报送的学院"}
    assert (rows["未报送的学院"].return_state, rows["未报送的学院"].open_accounts) == (
        ReturnState.NOT_STARTED,
        2,
    )
    assert rows[department.name].return_state == ReturnState.HANDED_IN
    assert rows[department.name].handed_in_at == done.handed_in_at
    body = response.content.decode()
    assert done.get_absolute_url() in body
    assert str(ReturnState.NOT_STARTED.label) in body


@pytest.mark.parametrize(
    ("state", "expected"),
    [("not_started", {"甲学院"}), ("handed_in", {"乙学院"}), ("", {"甲学院", "乙学院"})],
)
def test_it_filters_by_state(client_for, reviewer, state, expected):
    campaign = CampaignFactory()
    DepartmentFactory(name="甲学院")
    return_in(ReturnState.HANDED_IN, campaign=campaign, department=DepartmentFactory(name="乙学院"))
    response = client_for(reviewer).get(URL, {"state": state})
    assert set(_rows(response)) == expected


def test_it_searches_by_name(client_for, reviewer):
    CampaignFactory()
    DepartmentFactory(name="会计学院")
    DepartmentFactory(name="教务处")
    assert set(_rows(client_for(reviewer).get(URL, {"q": "会计"}))) == {"会计学院"}


def test_it_answers_403_with_the_reason_to_a_filer(client_for, filer):
    CampaignFactory()
    response = client_for(filer).get(URL)
    assert response.status_code == 403
    assert str(steps.REVIEWER_ONLY) in response.content.decode()


def test_it_answers_403_to_the_outsider(client_for, outsider):
    CampaignFactory()
    assert client_for(outsider).get(URL).status_code == 403


def test_it_says_when_no_campaign_is_active(client_for, reviewer, department):
    response = client_for(reviewer).get(URL)
    assert response.status_code == 200
    assert list(response.context["page"]) == []


@pytest.mark.parametrize("count", [10, 200])
def test_it_runs_a_bounded_number_of_queries(
    client_for, reviewer, django_assert_max_num_queries, count
):
    campaign = CampaignFactory()
    departments = Department.objects.bulk_create(
        DepartmentFactory.build(code=f"B{n:04d}") for n in range(count)
    )
    for department in departments[:5]:
        return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
        bulk_accounts(department, 10)
    client = client_for(reviewer)
    # Session, user, permissions (2), roles, the active campaign, the count and one page of rows.
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count
