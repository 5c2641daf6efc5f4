from django.urls import reverse

from approvals import models, services
from approvals.models import Filing
from approvals.tests.factories import filing_in
from registry.tests.factories import UserFactory


def _url(filing):
    return reverse("approvals:account_detail", args=[filing.account_id])


def _actions(response):
    return {action.name: action for action in response.context["actions"]}


def test_it_answers_404_to_the_outsider(client_for, outsider, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    assert client_for(outsider).get(_url(filing)).status_code == 404


def test_it_answers_404_to_a_user_without_a_role(client_for, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    assert client_for(UserFactory()).get(_url(filing)).status_code == 404


def test_it_offers_a_filer_the_submission_of_a_draft(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    actions = _actions(client_for(filer).get(_url(filing)))
    assert list(actions) == ["submit"]
    assert actions["submit"].problems == []


def test_it_shows_why_a_draft_cannot_be_submitted_yet(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department, rules_acknowledged=False)
    response = client_for(filer).get(_url(filing))
    assert _actions(response)["submit"].problems == [str(models.RULES_NOT_ACKNOWLEDGED)]
    assert "disabled" in response.content.decode()


def test_it_offers_a_reviewer_the_review_with_reasons_for_what_is_blocked(
    client_for, reviewer, department
):
    filing = filing_in(Filing.State.SUBMITTED, department=department, naming_level="department")
    actions = _actions(client_for(reviewer).get(_url(filing)))
    assert list(actions) == [
        "return_for_revision",
        "hand_over",
        "approve",
        "register",
        "order_closure",
    ]
    assert actions["approve"].problems == [str(models.NOT_SCHOOL_LEVEL)]
    assert actions["register"].problems == []


def test_it_offers_a_filer_only_the_withdrawal_of_a_submitted_account(
    client_for, filer, department
):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    assert list(_actions(client_for(filer).get(_url(filing)))) == ["withdraw"]


def test_it_shows_every_step_with_who_and_the_comment(client_for, filer, reviewer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    services.step_take(filing, "submit", by=filer, comment="自查完毕")
    services.step_take(filing, "return_for_revision", by=reviewer, comment="<b>补充</b>职务")
    response = client_for(filer).get(_url(filing))
    history = response.context["history"]
    assert [(entry.who, entry.comment) for entry in history[1:]] == [
        (filer.get_full_name(), "自查完毕"),
        (reviewer.get_full_name(), "<b>补充</b>职务"),
    ]
    body = response.content.decode()
    assert "&lt;b&gt;补充&lt;/b&gt;职务" in body
    assert "<b>补充</b>" not in body


def test_it_warns_about_a_forbidden_name(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, name="财政厅资助群")
    body = client_for(reviewer).get(_url(filing)).content.decode()
    assert "财政厅" in body and "alert-danger" in body


def test_it_states_the_ordered_closure_not_the_proposal(client_for, filer, department):
    filing = filing_in(Filing.State.CLOSING, department=department)
    assert filing.account.disposition == "keep"
    html = client_for(filer).get(_url(filing)).content.decode()
    assert "解散（关停中）" in html
