from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import DepartmentReturn, Filing, ReturnState
from approvals.models.campaign import ACCOUNTS_OPEN, RETURN_STEPS, SCAN_MISSING
from approvals.services import returns
from approvals.services.steps import step_take
from approvals.tests.factories import CampaignFactory, filing_in, return_in


def _url(department_return):
    return reverse("approvals:return_detail", args=[department_return.pk])


def _actions(response):
    return {action.name: action for action in response.context["actions"]}


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, department):
    department_return = return_in(
        ReturnState.NOT_STARTED, campaign=CampaignFactory(), department=department
    )
    response = client.get(_url(department_return))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_answers_404_to_the_outsider(client_for, outsider, department):
    department_return = return_in(
        ReturnState.IN_PROGRESS, campaign=CampaignFactory(), department=department
    )
    assert client_for(outsider).get(_url(department_return)).status_code == 404


def test_it_shows_the_filer_what_keeps_the_department_from_handing_in(
    client_for, filer, department
):
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.RETURNED, department=department)
    filing_in(Filing.State.SUBMITTED, department=department)
    department_return = return_in(
        ReturnState.IN_PROGRESS, campaign=CampaignFactory(), department=department, scan=None
    )
    response = client_for(filer).get(_url(department_return))
    assert response.status_code == 200
    assert response.context["open_accounts"] == 2
    hand_in = _actions(response)["hand_in"]
    assert hand_in.problems == [ACCOUNTS_OPEN % {"count": 2}, str(SCAN_MISSING)]
    body = response.content.decode()
    assert str(SCAN_MISSING) in body
    assert "disabled" in body


def test_it_offers_a_new_return_only_the_upload_and_says_what_is_missing(
    client_for, filer, department
):
    department_return = return_in(
        ReturnState.NOT_STARTED, campaign=CampaignFactory(), department=department, scan=None
    )
    response = client_for(filer).get(_url(department_return))
    assert list(_actions(response)) == ["upload_scan"]
    assert response.context["blockers"] == [str(SCAN_MISSING)]


def test_it_offers_the_reviewer_the_decision_on_a_handed_in_return(
    client_for, reviewer, department
):
    department_return = return_in(
        ReturnState.HANDED_IN, campaign=CampaignFactory(), department=department
    )
    response = client_for(reviewer).get(_url(department_return))
    assert list(_actions(response)) == ["accept", "send_back"]
    assert reverse("approvals:return_scan", args=[department_return.pk]) in (
        response.content.decode()
    )


def test_it_offers_the_filer_nothing_once_handed_in(client_for, filer, department):
    department_return = return_in(
        ReturnState.HANDED_IN, campaign=CampaignFactory(), department=department
    )
    response = client_for(filer).get(_url(department_return))
    assert response.context["actions"] == []
    assert response.context["blockers"] == []


def test_it_shows_the_history_of_the_return(client_for, filer, reviewer, department):
    department_return = returns.return_get(campaign=CampaignFactory(), department=department)
    step_take(
        department_return,
        "upload_scan",
        by=filer,
        scan=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"),
        comment="已盖章",
    )
    step_take(department_return, "hand_in", by=filer)
    step_take(department_return, "send_back", by=reviewer, comment="缺公章")
    history = client_for(filer).get(_url(department_return)).context["history"]
    label = {name: RETURN_STEPS[name].label for name in ("upload_scan", "hand_in", "send_back")}
    assert [(e.action, e.target, e.who, e.comment) for e in history] == [
        (
            label["upload_scan"],
            ReturnState.IN_PROGRESS.label,
            filer.first_name,
            "已盖章",
        ),
        (label["hand_in"], ReturnState.HANDED_IN.label, filer.first_name, ""),
        (
            label["send_back"],
            ReturnState.RETURNED.label,
            reviewer.first_name,
            "缺公章",
        ),
    ]


def test_it_writes_nothing_on_a_get(client_for, filer, department):
    department_return = return_in(
        ReturnState.NOT_STARTED, campaign=CampaignFactory(), department=department
    )
    client_for(filer).get(_url(department_return))
    assert DepartmentReturn.objects.get().state == ReturnState.NOT_STARTED
