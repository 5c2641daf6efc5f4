"""The lists' department filter, shared by the account list and the review queue: a department
chosen by id as links send it, among those the user may see; any other id is refused, said so,
and lists nothing."""

from html import escape

import pytest
from django.forms import ModelChoiceField
from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import filing_in

ACCOUNTS = reverse("approvals:account_list")
QUEUE = reverse("approvals:review_queue")
INVALID_CHOICE = escape(str(ModelChoiceField.default_error_messages["invalid_choice"]))


def _names(response) -> list[str]:
    return sorted(account.name for account in response.context["page"])


@pytest.mark.parametrize("url", [ACCOUNTS, QUEUE])
def test_it_filters_by_the_id_other_pages_link_with(
    client_for, reviewer, department, other_department, url
):
    filing_in(Filing.State.SUBMITTED, department=department, name="甲群")
    filing_in(Filing.State.SUBMITTED, department=other_department, name="乙群")
    response = client_for(reviewer).get(url, {"department": department.pk})
    assert _names(response) == ["甲群"]


@pytest.mark.parametrize("value", ["other", "not-a-number", "99999999"])
def test_it_refuses_an_id_the_user_may_not_see_with_the_form_error(
    client_for, filer, department, other_department, value
):
    filing_in(Filing.State.DRAFT, department=department, name="我的群")
    filing_in(Filing.State.DRAFT, department=other_department, name="别人的群")
    pk = other_department.pk if value == "other" else value
    response = client_for(filer).get(ACCOUNTS, {"department": pk})
    assert response.status_code == 200
    assert _names(response) == []
    html = response.content.decode()
    assert INVALID_CHOICE in html
    assert "别人的群" not in html


def test_the_queue_applies_nothing_to_all_while_the_department_is_in_error(
    client_for, reviewer, department
):
    filing_in(Filing.State.SUBMITTED, department=department)
    response = client_for(reviewer).post(
        f"{QUEUE}?department=not-a-number",
        {"action": "return_for_revision", "comment": "请修改", "all_matching": "on"},
    )
    assert response.status_code == 302
    assert not Filing.objects.exclude(state=Filing.State.SUBMITTED).exists()
