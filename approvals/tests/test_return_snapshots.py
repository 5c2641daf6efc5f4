"""The hand-in as a snapshot: the form stored as it was sent (xlsx, PDF, rows and their hash),
a later change shown as a difference and handed in again, an unchanged form never sent twice,
blocking findings handed in only with a stated reason (or refused by the campaign), and the
stamped scan taken only after the hand-in, for the form last handed in."""

import io

import openpyxl
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import DepartmentReturn, Filing, ReturnSnapshot, ReturnState
from approvals.models.campaign import BLOCKED, CHANGED_SINCE, UNCHANGED
from approvals.services import returns
from approvals.services.steps import step_take
from approvals.snapshots import rows_hash
from approvals.tests.factories import CampaignFactory, filing_in, handed_in_return
from cleanup.models import Finding, Severity
from registry.models import Account

PDF = b"%PDF-1.4\n% stamped form\n"


@pytest.fixture
def campaign(db):
    return CampaignFactory(office_email="office@example.edu.cn")


def _fresh(department_return) -> DepartmentReturn:
    return DepartmentReturn.objects.select_related("campaign", "department").get(
        pk=department_return.pk
    )


def _scan(department_return, filer, snapshot=None):
    return step_take(
        _fresh(department_return),
        "upload_scan",
        by=filer,
        scan=SimpleUploadedFile("scan.pdf", PDF),
        snapshot=snapshot,
    )


def _hand_in(department_return, filer, **arguments):
    return step_take(_fresh(department_return), "hand_in", by=filer, **arguments)


def _page(client, department_return):
    return client.get(reverse("approvals:return_detail", args=[department_return.pk]))


def test_it_stores_the_form_as_handed_in(campaign, department, filer, client_for):
    filing_in(Filing.State.REGISTERED, department=department, name="会计学院教职工群")
    department_return = handed_in_return(campaign=campaign, department=department, by=filer)
    snapshot = ReturnSnapshot.objects.get()
    assert (snapshot.number, snapshot.taken_by) == (1, filer)
    assert snapshot.content_hash == rows_hash(snapshot.rows)
    # The files hold the rows the hash was taken of: one read made them all.
    sheet = openpyxl.load_workbook(io.BytesIO(snapshot.xlsx.read())).active
    names = [row[2] for row in sheet.iter_rows(min_row=5, values_only=True) if row[2]]
    assert names[: len(snapshot.rows)] == [row[1] for row in snapshot.rows.values()]
    assert snapshot.pdf.read().startswith(b"%PDF")
    response = _page(client_for(filer), department_return)
    body = response.content.decode()
    assert snapshot.check_code in body
    for file_format in ("xlsx", "pdf"):
        url = reverse("approvals:return_snapshot_file", args=[department_return.pk, 1, file_format])
        assert url in body
        download = client_for(filer).get(url)
        assert (
            b"".join(download.streaming_content) == getattr(snapshot, file_format).open("rb").read()
        )
        assert "filename*=utf-8''" in download["Content-Disposition"]


def test_it_shows_a_change_after_the_hand_in_and_takes_the_form_again(
    campaign, department, filer, reviewer, client_for
):
    kept = filing_in(Filing.State.REGISTERED, department=department, name="教职工群")
    closing = filing_in(Filing.State.SUBMITTED, department=department, name="旧群")
    department_return = handed_in_return(campaign=campaign, department=department, by=filer)
    mail.outbox.clear()
    assert _page(client_for(filer), department_return).context["changes"] == []
    # Edited, closure ordered, and one added.
    Account.objects.filter(pk=kept.account_id).update(name="会计学院教职工群")
    Filing.objects.filter(pk=closing.pk).update(
        state=Filing.State.CLOSING, closure_kind="dissolve", closure_reason="长期不用"
    )
    added = filing_in(Filing.State.SUBMITTED, department=department, name="新建群")
    response = _page(client_for(reviewer), department_return)
    texts = [change.text for change in response.context["changes"]]
    assert "教职工群 → 会计学院教职工群" not in texts  # said column by column, in words
    assert any("“教职工群” → “会计学院教职工群”" in text for text in texts)
    assert any(text.startswith("旧群：处置意见 “保留” → “解散（关停中）”") for text in texts)
    assert "旧群：审核状态 “已提交” → “关停中”" in texts
    assert f"新增：{added.account.name}" in texts
    assert "报送后有变更" in response.content.decode()
    # The filer is offered the hand-in again, and it stores and sends the new form.
    actions = {a.name: a for a in _page(client_for(filer), department_return).context["actions"]}
    assert actions["hand_in"].problems == []
    assert actions["upload_scan"].problems == [str(CHANGED_SINCE)]
    _hand_in(department_return, filer)
    assert list(ReturnSnapshot.objects.values_list("number", flat=True)) == [2, 1]
    assert returns.return_copies_owed() == [department_return.pk]
    assert _page(client_for(filer), department_return).context["changes"] == []


def test_it_sends_nothing_new_for_an_unchanged_form(campaign, department, filer):
    filing_in(Filing.State.REGISTERED, department=department)
    department_return = handed_in_return(campaign=campaign, department=department, by=filer)
    returns.return_copy_send(return_id=department_return.pk)
    with pytest.raises(ValidationError) as refused:
        _hand_in(department_return, filer)
    assert refused.value.messages == [str(UNCHANGED)]
    assert ReturnSnapshot.objects.count() == 1
    assert returns.return_copies_owed() == []
    assert len(mail.outbox) == 1


def test_it_needs_a_reason_to_hand_in_with_a_blocking_finding(
    campaign, department, filer, reviewer, client_for
):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    Finding.objects.create(
        account=filing.account, rule="forbidden_name", severity=Severity.BLOCKING
    )
    department_return = returns.return_get(campaign=campaign, department=department)
    url = reverse("approvals:return_transition", args=[department_return.pk, "hand_in"])
    response = client_for(filer).post(url, {"hand_in-reason": "  "})
    assert response.status_code == 400
    assert "1 条未解决的阻断性问题" in response.content.decode()
    assert not ReturnSnapshot.objects.exists()
    assert _fresh(department_return).state == ReturnState.NOT_STARTED
    response = client_for(filer).post(url, {"hand_in-reason": "名称已报宣传统战处另行审定"})
    assert response.status_code == 302
    snapshot = ReturnSnapshot.objects.get()
    assert (snapshot.blocking_findings, snapshot.blocking_reason) == (
        1,
        "名称已报宣传统战处另行审定",
    )
    assert (
        "名称已报宣传统战处另行审定"
        in _page(client_for(reviewer), department_return).content.decode()
    )


def test_a_campaign_may_refuse_a_hand_in_with_a_blocking_finding(campaign, department, filer):
    campaign.refuse_blocked_hand_in = True
    campaign.save()
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    Finding.objects.create(
        account=filing.account, rule="forbidden_name", severity=Severity.BLOCKING
    )
    department_return = returns.return_get(campaign=campaign, department=department)
    with pytest.raises(ValidationError) as refused:
        _hand_in(department_return, filer, reason="理由")
    assert refused.value.messages == [BLOCKED % {"count": 1}]
    assert not ReturnSnapshot.objects.exists()


def test_it_refuses_a_scan_before_the_hand_in(campaign, department, filer, client_for, settings):
    department_return = returns.return_get(campaign=campaign, department=department)
    with pytest.raises(ValidationError) as refused:
        _scan(department_return, filer)
    assert "未开始" in refused.value.messages[0]
    url = reverse("approvals:return_transition", args=[department_return.pk, "upload_scan"])
    scan = SimpleUploadedFile("scan.pdf", PDF)
    assert client_for(filer).post(url, {"upload_scan-scan": scan}).status_code == 400
    assert not (settings.MEDIA_ROOT / "returns").exists()  # nothing stored


def test_it_refuses_the_scan_of_an_older_hand_in(campaign, department, filer):
    filing = filing_in(Filing.State.REGISTERED, department=department, name="教职工群")
    department_return = handed_in_return(campaign=campaign, department=department, by=filer)
    _scan(department_return, filer, snapshot=1)
    Account.objects.filter(pk=filing.account_id).update(name="会计学院教职工群")
    _hand_in(department_return, filer)
    assert _fresh(department_return).scan.name == ""  # the new form needs its own stamp
    with pytest.raises(ValidationError) as refused:
        _scan(department_return, filer, snapshot=1)
    assert "第 1 次报送" in refused.value.messages[0]
    _scan(department_return, filer, snapshot=2)
    first, second = ReturnSnapshot.objects.order_by("number")
    assert first.scan and second.scan and first.scan != second.scan


def test_it_serves_the_stored_form_only_to_those_who_see_the_return(
    campaign, department, filer, outsider, client_for
):
    department_return = handed_in_return(campaign=campaign, department=department, by=filer)
    url = reverse("approvals:return_snapshot_file", args=[department_return.pk, 1, "pdf"])
    assert client_for(outsider).get(url).status_code == 404
    response = client_for(filer).get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment")
    other = reverse("approvals:return_snapshot_file", args=[department_return.pk, 1, "html"])
    assert client_for(filer).get(other).status_code == 404
    missing = reverse("approvals:return_snapshot_file", args=[department_return.pk, 2, "pdf"])
    assert client_for(filer).get(missing).status_code == 404
