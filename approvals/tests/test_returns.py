"""The department return's state machine and its services: upload, hand in, accept, send back."""

import io
from datetime import date

import openpyxl
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_fsm_log.models import StateLog

from approvals.models import Campaign, DepartmentReturn, Filing
from approvals.models.campaign import ACCOUNTS_OPEN, SCAN_MISSING
from approvals.services import returns
from approvals.services.steps import step_take
from approvals.tests.factories import filing_in
from approvals.tests.mailers import ConnectionCuttingBackend

PDF = b"%PDF-1.4\n% stamped form\n"
S = DepartmentReturn.State


@pytest.fixture
def campaign(db):
    return Campaign.objects.create(
        title="2027年专项行动",
        starts_on=date(2027, 5, 1),
        deadline=date(2027, 6, 8),
        office_email="office@example.edu.cn",
        is_active=True,
    )


@pytest.fixture
def department_return(campaign, department):
    return returns.return_get(campaign=campaign, department=department)


def _scan(content=PDF, name="form.pdf"):
    return SimpleUploadedFile(name, content)


def _handed_in(department_return, filer):
    return step_take(department_return, "hand_in", by=filer)


def _uploaded(department_return, filer):
    return step_take(department_return, "upload_scan", by=filer, scan=_scan())


@pytest.mark.parametrize(
    ("content", "extension"),
    [
        (PDF, ".pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 8, ".png"),
        (b"\xff\xd8\xff\xe0" + b"0" * 8, ".jpg"),
    ],
)
def test_it_takes_a_pdf_png_or_jpg_scan(department_return, filer, content, extension):
    _handed_in(department_return, filer)
    step_take(department_return, "upload_scan", by=filer, scan=_scan(content, "扫描件.bin"))
    department_return.refresh_from_db()
    assert department_return.state == S.HANDED_IN
    assert department_return.scan.name.startswith("returns/")
    assert department_return.scan.name.endswith(extension)
    assert department_return.snapshots.get().scan == department_return.scan.name


def _scans(settings) -> list:
    folder = settings.MEDIA_ROOT / "returns"
    return [p for p in folder.iterdir() if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize(
    "content", [b"PK\x03\x04 a word document", b"<script>alert(1)</script>", b""]
)
def test_it_refuses_a_file_that_is_not_a_scan_and_stores_nothing(
    settings, department_return, filer, content
):
    _handed_in(department_return, filer)
    with pytest.raises(ValidationError) as refused:
        step_take(department_return, "upload_scan", by=filer, scan=_scan(content, "form.pdf"))
    assert "scan" in refused.value.message_dict
    department_return.refresh_from_db()
    assert (department_return.state, department_return.scan.name) == (S.HANDED_IN, "")
    assert not _scans(settings)


def test_it_refuses_a_scan_over_the_limit(settings, department_return, filer):
    _handed_in(department_return, filer)
    settings.NEWMEDIA_SCAN_MAX_BYTES = 10
    with pytest.raises(ValidationError) as refused:
        _uploaded(department_return, filer)
    assert "scan" in refused.value.message_dict
    assert not _scans(settings)


def test_it_lets_only_the_departments_filers_upload(department_return, filer, outsider, reviewer):
    _handed_in(department_return, filer)
    for user in (outsider, reviewer):
        with pytest.raises(PermissionDenied):
            _uploaded(department_return, user)
    assert DepartmentReturn.objects.get(pk=department_return.pk).scan.name == ""


def test_it_refuses_to_hand_in_with_open_accounts(department_return, filer, department):
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.RETURNED, department=department)
    filing_in(Filing.State.REGISTERED, department=department)
    DepartmentReturn.objects.filter(pk=department_return.pk).update(state=S.IN_PROGRESS)
    department_return.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        step_take(department_return, "hand_in", by=filer)
    assert refused.value.messages == [ACCOUNTS_OPEN % {"count": 2}]
    assert DepartmentReturn.objects.get(pk=department_return.pk).state == S.IN_PROGRESS
    assert not department_return.snapshots.exists()


def test_it_hands_in_and_emails_the_office_the_form_it_stored(
    department_return, filer, department, django_capture_on_commit_callbacks
):
    filing_in(
        Filing.State.REGISTERED,
        department=department,
        name="会计学院教职工群",
        owner_phone="13912345678",
    )
    with django_capture_on_commit_callbacks(execute=True):
        step_take(department_return, "hand_in", by=filer, comment="请查收")
    department_return.refresh_from_db()
    assert (department_return.state, department_return.handed_in_by) == (S.HANDED_IN, filer)
    assert department_return.copy_sent_at is not None
    snapshot = department_return.snapshots.get()
    [message] = [m for m in mail.outbox if m.to == ["office@example.edu.cn"]]
    (xlsx_name, content, mimetype), (pdf_name, pdf, pdf_type) = message.attachments
    on = timezone.localdate(snapshot.taken_at)
    assert xlsx_name == f"{department.name}-新媒体登记表-{on:%Y-%m-%d}.xlsx"
    assert pdf_name == xlsx_name.replace(".xlsx", ".pdf")
    assert mimetype.endswith("spreadsheetml.sheet") and pdf_type == "application/pdf"
    assert content == snapshot.xlsx.open("rb").read() and pdf == snapshot.pdf.open("rb").read()
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert any("会计学院教职工群" in row for row in rows)
    assert any("13912345678" in row for row in rows)  # the office gets the whole numbers
    assert any(snapshot.check_code in (row[0] or "") for row in rows)  # tied to the scan
    assert [log.transition for log in StateLog.objects.for_(department_return)] == ["hand_in"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_cut_between_sending_the_copy_and_its_mark_sends_it_once(
    department_return, filer, settings
):
    """Item 8 of issue 14, for the electronic copy: the mark died with the connection, the task
    failed without retrying, and the flush sent the copy again."""
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL")
    ConnectionCuttingBackend.sent = []
    settings.EMAIL_BACKEND = "approvals.tests.mailers.ConnectionCuttingBackend"
    _handed_in(department_return, filer)  # commits; the copy goes out in-process
    department_return.refresh_from_db()
    assert department_return.copy_sent_at is not None
    assert returns.return_copies_owed() == []  # the flush has nothing to send again
    assert returns.return_copy_send(return_id=department_return.pk) is False
    assert len(ConnectionCuttingBackend.sent) == 1


def test_it_sends_the_electronic_copy_once(department_return, filer):
    _handed_in(department_return, filer)
    assert returns.return_copy_send(return_id=department_return.pk) is True
    assert returns.return_copy_send(return_id=department_return.pk) is False
    assert len([m for m in mail.outbox if m.to == ["office@example.edu.cn"]]) == 1
    assert returns.return_copies_owed() == []


def test_a_reviewer_accepts_or_sends_back_with_a_reason(
    campaign, department_return, filer, reviewer, other_department
):
    _handed_in(department_return, filer)
    assert returns.return_copy_send(return_id=department_return.pk) is True
    department_return = DepartmentReturn.objects.get(pk=department_return.pk)  # as a page loads it
    with pytest.raises(ValidationError) as refused:
        step_take(department_return, "accept", by=reviewer)
    assert refused.value.messages == [str(SCAN_MISSING)]
    _uploaded(department_return, filer)
    with pytest.raises(ValidationError):
        step_take(department_return, "send_back", by=reviewer, comment=" ")
    step_take(department_return, "send_back", by=reviewer, comment="缺公章")
    assert DepartmentReturn.objects.get(pk=department_return.pk).state == S.RETURNED
    # Sent back, the department hands in again with nothing changed: nothing new is sent, the
    # scan of that same form stands, and the reviewer accepts.
    step_take(department_return, "hand_in", by=filer)
    assert returns.return_copies_owed() == []
    assert department_return.snapshots.count() == 1
    step_take(department_return, "accept", by=reviewer)
    assert DepartmentReturn.objects.get(pk=department_return.pk).state == S.ACCEPTED


def test_a_filer_cannot_accept_their_own_return(department_return, filer):
    _handed_in(department_return, filer)
    _uploaded(department_return, filer)
    with pytest.raises(PermissionDenied):
        step_take(department_return, "accept", by=filer)


def test_it_keeps_one_return_per_department_and_campaign(campaign, department):
    first = returns.return_get(campaign=campaign, department=department)
    assert returns.return_get(campaign=campaign, department=department) == first
    assert DepartmentReturn.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"starts_on": date(2027, 6, 9)}, "截止日期不能早于开始日期"),
        ({"reminder_days": [7, -1]}, "整数"),
        ({"reminder_days": ["a"]}, "整数"),
        ({"reminder_days": []}, "整数"),
    ],
)
def test_it_explains_a_wrong_campaign(campaign, fields, message):
    for name, value in fields.items():
        setattr(campaign, name, value)
    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()
    assert any(message in text for text in refused.value.messages)


def test_it_refuses_a_second_active_campaign(campaign):
    second = Campaign(
        title="另一个", starts_on=date(2027, 5, 1), deadline=date(2027, 6, 8), is_active=True
    )
    with pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert "已有进行中的专项行动" in refused.value.messages[0]


def test_it_orders_and_dedupes_the_reminder_days(campaign):
    campaign.reminder_days = [1, 7, 3, 7, 0]
    campaign.full_clean()
    assert campaign.reminder_days == [7, 3, 1, 0]
