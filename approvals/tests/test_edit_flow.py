"""The filer's edit flow: why an account came back, what saving does in its state, and a badge
that says a reported closure waits for the reviewer (issue 16, item 5)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import Filing
from approvals.tests.factories import filing_in
from approvals.views import EDIT_HELP

pytestmark = pytest.mark.django_db

NOTE = 'class="alert alert-warning" role="alert"'  # approvals/includes/return_note.html
COMMENT = "名称请改为“会计学院2026级新生群”，并补充负责人职务"


@pytest.fixture
def returned(filer, reviewer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    services.step_take(filing, "submit", by=filer, comment="自查完毕")
    services.step_take(filing, "return_for_revision", by=reviewer, comment="先前的意见")
    services.step_take(filing, "submit", by=filer, comment="已修改")
    services.step_take(filing, "return_for_revision", by=reviewer, comment=COMMENT)
    return filing


@pytest.mark.parametrize("page", ["approvals:account_detail", "approvals:account_edit"])
def test_a_returned_account_says_why_at_the_top(client_for, filer, returned, reviewer, page):
    response = client_for(filer).get(reverse(page, args=[returned.account_id]))
    note = response.context["returned"]
    assert (note.comment, note.who) == (COMMENT, reviewer.get_full_name() or reviewer.username)
    html = response.content.decode()
    # The latest comment, in the alert, before the page's form or facts.
    assert html.index("名称请改为") < html.index("novalidate" if "edit" in page else "facts-title")
    assert html.count(NOTE) == 1
    assert "先前的意见" not in html.split(NOTE)[1].split("</div>\n</div>")[0]


def test_the_note_goes_once_the_account_is_submitted_again(client_for, filer, returned):
    services.step_take(returned, "submit", by=filer, comment="再次提交")
    response = client_for(filer).get(returned.get_absolute_url())
    assert response.context["returned"] is None
    assert NOTE not in response.content.decode()


def test_the_edit_form_says_what_saving_does_in_each_state(client_for, filer, department):
    assert set(EDIT_HELP) == Filing.EDITABLE_STATES  # every state the form opens in is covered
    for state in Filing.EDITABLE_STATES:
        filing = filing_in(state, department=department)
        response = client_for(filer).get(
            reverse("approvals:account_edit", args=[filing.account_id])
        )
        assert str(EDIT_HELP[state]) in response.content.decode()
    returned = client_for(filer).get(
        reverse(
            "approvals:account_edit", args=[filing_in("returned", department=department).account_id]
        )
    )
    # Not "stays a draft" when it was returned.
    assert str(EDIT_HELP[Filing.State.DRAFT]) not in returned.content.decode()


def test_a_reported_closure_reads_reported_awaiting_confirmation(client_for, filer, department):
    filing = filing_in(Filing.State.CLOSING, department=department)
    client = client_for(filer)
    assert "已报告，待确认" not in client.get(filing.get_absolute_url()).content.decode()
    Filing.objects.filter(pk=filing.pk).update(closure_reported_at=timezone.now())
    for url in (filing.get_absolute_url(), reverse("approvals:account_list")):
        html = client.get(url).content.decode()
        assert "已报告，待确认" in html
