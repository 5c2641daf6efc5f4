from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import DepartmentReturn, Filing, ReturnState
from approvals.models.campaign import ACCOUNTS_OPEN, RETURN_STEPS, UNCHANGED
from approvals.services.steps import step_take
from approvals.tests.factories import CampaignFactory, filing_in, handed_in_return, return_in


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
    assert hand_in.problems == [ACCOUNTS_OPEN % {"count": 2}]
    body = response.content.decode()
    assert ACCOUNTS_OPEN % {"count": 2} in body
    assert "disabled" in body


def test_it_offers_a_new_return_only_the_hand_in(client_for, filer, department):
    department_return = return_in(
        ReturnState.NOT_STARTED, campaign=CampaignFactory(), department=department, scan=None
    )
    response = client_for(filer).get(_url(department_return))
    assert list(_actions(response)) == ["hand_in"]
    assert response.context["blockers"] == []


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


def test_it_offers_the_filer_only_the_scan_once_handed_in(client_for, filer, department):
    department_return = handed_in_return(
        campaign=CampaignFactory(), department=department, by=filer
    )
    response = client_for(filer).get(_url(department_return))
    actions = _actions(response)
    assert list(actions) == ["upload_scan", "hand_in"]
    assert actions["upload_scan"].problems == []
    assert actions["upload_scan"].form["snapshot"].initial == 1
    assert actions["hand_in"].problems == [str(UNCHANGED)]  # nothing new to hand in
    assert response.context["blockers"] == []


def test_it_shows_the_history_of_the_return(client_for, filer, reviewer, department):
    department_return = handed_in_return(
        campaign=CampaignFactory(), department=department, by=filer
    )
    step_take(
        department_return,
        "upload_scan",
        by=filer,
        scan=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"),
        comment="已盖章",
    )
    step_take(department_return, "send_back", by=reviewer, comment="缺公章")
    history = client_for(filer).get(_url(department_return)).context["history"]
    assert [(e.action, e.target, e.who, e.comment) for e in history] == [
        (RETURN_STEPS["hand_in"].label, ReturnState.HANDED_IN.label, filer.first_name, ""),
        (
            RETURN_STEPS["upload_scan"].label,
            ReturnState.HANDED_IN.label,
            filer.first_name,
            "已盖章",
        ),
        (
            RETURN_STEPS["send_back"].label,
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
