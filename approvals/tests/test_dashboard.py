import datetime

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import Campaign, Filing
from approvals.tests.factories import filing_in

URL = reverse("approvals:dashboard")


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_counts_only_the_filers_own_accounts(client_for, filer, department, other_department):
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.SUBMITTED, department=department)
    filing_in(Filing.State.SUBMITTED, department=other_department)
    counts = dict((s, n) for s, _label, n in client_for(filer).get(URL).context["counts"])
    assert counts["draft"] == 1
    assert counts["submitted"] == 1


def test_it_shows_a_filer_what_was_returned_and_why(client_for, filer, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, name="会计学院新生群")
    services.filing_return_for_revision(filing=filing, by=reviewer, comment="请补充成员人数")
    response = client_for(filer).get(URL)
    [returned] = response.context["filer_todo"]["returned"]
    assert returned.return_comment == "请补充成员人数"
    assert "请补充成员人数" in response.content.decode()


def test_it_shows_the_outsider_nothing_of_another_department(client_for, outsider, department):
    filing_in(Filing.State.RETURNED, department=department, name="别人的群")
    response = client_for(outsider).get(URL)
    assert "别人的群" not in response.content.decode()
    assert response.context["reviewer_todo"] is None


def test_it_shows_a_reviewer_the_queue_and_reported_closures(client_for, reviewer, department):
    filing_in(Filing.State.SUBMITTED, department=department, name="待审核的群")
    closing = filing_in(Filing.State.CLOSING, department=department, name="待确认的群")
    Filing.objects.filter(pk=closing.pk).update(
        closure_reported_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    response = client_for(reviewer).get(URL)
    todo = response.context["reviewer_todo"]
    assert [a.name for a in todo["submitted"]] == ["待审核的群"]
    assert [a.name for a in todo["to_confirm"]] == ["待确认的群"]
    assert response.context["filer_todo"] is None


@pytest.mark.parametrize(("days", "phrase"), [(10, "10"), (0, "今天"), (-2, "已过")])
def test_it_counts_down_to_the_active_campaigns_deadline(client_for, reviewer, days, phrase):
    today = datetime.date.today()
    Campaign.objects.create(
        title="清理整治专项行动",
        starts_on=today - datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=days),
        is_active=True,
    )
    body = client_for(reviewer).get(URL).content.decode()
    assert "清理整治专项行动" in body
    assert phrase in body
