import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_fsm_log.models import StateLog

from approvals.models import DepartmentReturn, Filing, ReturnState
from approvals.models.campaign import ACCOUNTS_OPEN
from approvals.services import returns, steps
from approvals.tests.factories import CampaignFactory, filing_in, handed_in_return, return_in

PDF = b"%PDF-1.4\n% stamped form\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def new_return(campaign, department):
    return returns.return_get(campaign=campaign, department=department)


@pytest.fixture
def handed_in(campaign, department, filer):
    """A return handed in: the stamped scan of its form comes next."""
    return handed_in_return(campaign=campaign, department=department, by=filer)


def _url(department_return, name):
    return reverse("approvals:return_transition", args=[department_return.pk, name])


def _get(department_return):
    return DepartmentReturn.objects.get(pk=department_return.pk)


def _upload(client, department_return, content=PDF, name="登记表.pdf"):
    scan = SimpleUploadedFile(name, content)
    return client.post(_url(department_return, "upload_scan"), {"upload_scan-scan": scan})


@pytest.mark.parametrize(("content", "extension"), [(PDF, ".pdf"), (PNG, ".png"), (JPG, ".jpg")])
def test_it_takes_a_pdf_png_or_jpg_scan(client_for, filer, handed_in, content, extension):
    response = _upload(client_for(filer), handed_in, content, "scan.bin")
    assert response.status_code == 302
    assert response["Location"] == handed_in.get_absolute_url()
    stored = _get(handed_in)
    assert stored.state == ReturnState.HANDED_IN
    assert stored.scan.name.endswith(extension)
    assert stored.scan.read() == content


def _scans(settings) -> list:
    return [p for p in (settings.MEDIA_ROOT / "returns").iterdir() if p.is_file()]


def test_it_refuses_a_disguised_file_with_a_message_and_stores_nothing(
    settings, client_for, filer, handed_in
):
    response = _upload(client_for(filer), handed_in, b"<script>alert(1)</script>", "form.pdf")
    assert response.status_code == 400
    actions = {action.name: action for action in response.context["actions"]}
    errors = actions["upload_scan"].form.errors["scan"]
    assert "PDF/PNG/JPG" in errors[0]
    assert errors[0] in response.content.decode()
    assert (_get(handed_in).state, _get(handed_in).scan.name) == (ReturnState.HANDED_IN, "")
    assert not _scans(settings)  # only the snapshot's files, under returns/snapshots/


def test_it_refuses_a_scan_over_the_limit(settings, client_for, filer, handed_in):
    settings.NEWMEDIA_SCAN_MAX_BYTES = 10
    response = _upload(client_for(filer), handed_in)
    assert response.status_code == 400
    actions = {action.name: action for action in response.context["actions"]}
    assert actions["upload_scan"].form.errors["scan"]
    assert _get(handed_in).scan.name == ""
    assert not _scans(settings)


def test_it_refuses_to_hand_in_while_accounts_are_open(client_for, filer, campaign, department):
    filing_in(Filing.State.DRAFT, department=department)
    department_return = return_in(
        ReturnState.IN_PROGRESS, campaign=campaign, department=department, scan=None
    )
    response = client_for(filer).post(_url(department_return, "hand_in"), {})
    assert response.status_code == 400
    body = response.content.decode()
    assert ACCOUNTS_OPEN % {"count": 1} in body
    assert _get(department_return).state == ReturnState.IN_PROGRESS
    assert not StateLog.objects.for_(department_return).exists()


def test_it_hands_in_for_the_filer(client_for, filer, new_return, department):
    filing_in(Filing.State.SUBMITTED, department=department)
    client = client_for(filer)
    response = client.post(
        _url(new_return, "hand_in"),
        {"hand_in-comment": "请查收", "hand_in-expected_state": "not_started"},
    )
    assert response.status_code == 302
    stored = _get(new_return)
    assert (stored.state, stored.handed_in_by) == (ReturnState.HANDED_IN, filer)
    log = StateLog.objects.for_(new_return).filter(transition="hand_in").get()
    assert (log.by, log.description) == (filer, "请查收")


def test_it_lets_the_reviewer_accept(client_for, reviewer, campaign, department):
    department_return = return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
    response = client_for(reviewer).post(_url(department_return, "accept"), {})
    assert response.status_code == 302
    assert _get(department_return).state == ReturnState.ACCEPTED


def test_it_lets_the_reviewer_send_back_only_with_a_reason(
    client_for, reviewer, campaign, department
):
    department_return = return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
    client = client_for(reviewer)
    response = client.post(_url(department_return, "send_back"), {"send_back-comment": " "})
    assert response.status_code == 400
    assert _get(department_return).state == ReturnState.HANDED_IN
    response = client.post(_url(department_return, "send_back"), {"send_back-comment": "缺公章"})
    assert response.status_code == 302
    assert _get(department_return).state == ReturnState.RETURNED
    log = StateLog.objects.for_(department_return).get()
    assert (log.by, log.description) == (reviewer, "缺公章")


def test_it_answers_403_with_the_reason_when_a_filer_tries_to_accept(
    client_for, filer, campaign, department
):
    department_return = return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
    response = client_for(filer).post(_url(department_return, "accept"), {})
    assert response.status_code == 403
    assert str(steps.REVIEWER_ONLY) in response.content.decode()
    assert _get(department_return).state == ReturnState.HANDED_IN


def test_it_answers_403_when_a_reviewer_tries_to_upload_or_hand_in(
    settings, client_for, reviewer, new_return, department
):
    client = client_for(reviewer)
    response = _upload(client, new_return)
    assert response.status_code == 403
    assert department.name in response.content.decode()
    assert client.post(_url(new_return, "hand_in"), {}).status_code == 403
    assert _get(new_return).state == ReturnState.NOT_STARTED
    assert not (settings.MEDIA_ROOT / "returns").exists()


def test_it_answers_404_to_the_outsider(settings, client_for, outsider, new_return):
    client = client_for(outsider)
    assert _upload(client, new_return).status_code == 404
    assert client.post(_url(new_return, "hand_in"), {}).status_code == 404
    assert _get(new_return).state == ReturnState.NOT_STARTED
    assert not (settings.MEDIA_ROOT / "returns").exists()


def test_it_answers_404_for_an_unknown_step(client_for, reviewer, new_return):
    client = client_for(reviewer)
    for name in ("delete", "save", "send_back_x"):
        assert client.post(_url(new_return, name), {}).status_code == 404


def test_it_answers_409_when_someone_else_acted_first(client_for, reviewer, campaign, department):
    department_return = return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
    DepartmentReturn.objects.filter(pk=department_return.pk).update(state=ReturnState.RETURNED)
    response = client_for(reviewer).post(
        _url(department_return, "accept"), {"accept-expected_state": "handed_in"}
    )
    assert response.status_code == 409
    message = steps.STALE_STATE % {"state": ReturnState.RETURNED.label}
    assert message in response.content.decode()
    assert _get(department_return).state == ReturnState.RETURNED


def test_it_refuses_a_get(client_for, filer, new_return):
    assert client_for(filer).get(_url(new_return, "hand_in")).status_code == 405


def test_it_refuses_a_post_without_the_csrf_token(settings, client_for, filer, new_return):
    scan = SimpleUploadedFile("a.pdf", PDF)
    response = client_for(filer).post_without_token(
        _url(new_return, "upload_scan"), {"upload_scan-scan": scan}
    )
    assert response.status_code == 403
    assert _get(new_return).state == ReturnState.NOT_STARTED
    assert not (settings.MEDIA_ROOT / "returns").exists()
