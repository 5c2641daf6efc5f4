"""A filer submits every complete draft of their departments in one click (issue 12, item 9:
accounts imported with the R6 box ticked need not be opened one by one)."""

from django.contrib.messages import get_messages
from django.urls import reverse

from approvals.models import RULES_NOT_ACKNOWLEDGED, Filing
from approvals.tests.factories import filing_in

S = Filing.State
URL = reverse("approvals:drafts_submit")


def test_it_submits_the_complete_drafts_and_names_the_others_with_why(
    client_for, filer, department, other_department
):
    ready = filing_in(S.DRAFT, department=department, name="会计学院教职工群")
    unacknowledged = filing_in(
        S.DRAFT, department=department, name="会计学院学生群", rules_acknowledged=False
    )
    returned = filing_in(S.RETURNED, department=department)
    theirs = filing_in(S.DRAFT, department=other_department)
    response = client_for(filer).post(URL, {})
    assert response.status_code == 302
    states = dict(Filing.objects.values_list("pk", "state"))
    assert states[ready.pk] == S.SUBMITTED
    assert states[unacknowledged.pk] == S.DRAFT
    assert (states[returned.pk], states[theirs.pk]) == (S.RETURNED, S.DRAFT)
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("会计学院教职工群" in m for m in said)
    assert any("会计学院学生群" in m and str(RULES_NOT_ACKNOWLEDGED) in m for m in said)


def test_only_filers_submit_drafts(client_for, reviewer, department):
    draft = filing_in(S.DRAFT, department=department)
    assert client_for(reviewer).post(URL, {}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == S.DRAFT


def test_it_refuses_a_get(client_for, filer):
    assert client_for(filer).get(URL).status_code == 405
