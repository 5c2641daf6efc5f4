import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record

URL = reverse("audit:event_list")


def test_it_shows_reviewers_the_trail_filtered(client_for, reviewer, filer):
    audit_record(action=AuditEvent.Action.LOGIN, user=filer)
    audit_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        username="mallory",
        outcome=AuditEvent.Outcome.FAILURE,
    )
    client = client_for(reviewer)  # logging in writes the reviewer's own row first
    assert [e.username for e in client.get(URL).context["page"]] == ["reviewer", "mallory", "filer"]
    failed = client.get(URL, {"outcome": "failure"}).context["page"]
    assert [e.username for e in failed] == ["mallory"]
    assert [e.username for e in client.get(URL, {"username": "fil"}).context["page"]] == ["filer"]


def test_it_is_closed_to_filers(client_for, filer):
    assert client_for(filer).get(URL).status_code == 403


def test_it_cannot_be_changed_or_deleted_in_the_admin(client_for, admin_user, filer):
    event = audit_record(action=AuditEvent.Action.LOGIN, user=filer)
    client = client_for(admin_user)
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.get(change).status_code == 200  # it can be read
    client.post(change, {"detail": "rewritten", "action": "logout"})
    assert (
        client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.detail, stored.action) == ("", "login")


def test_a_steps_detail_reads_in_chinese_with_its_states(client_for, reviewer, filer, department):
    """The row keeps "submit: draft → submitted"; the trail shows 提交审核：草稿 → 已提交."""
    from approvals import services
    from approvals.models import Filing
    from approvals.tests.factories import filing_in

    filing = filing_in(Filing.State.DRAFT, department=department)
    services.step_take(filing, "submit", by=filer, comment="")
    page = client_for(reviewer).get(reverse("audit:event_list")).content.decode()
    assert "提交审核：草稿 → 已提交" in page
    assert "submit: draft → submitted" not in page


@pytest.mark.parametrize(
    ("detail", "shown"),
    [
        (
            "registry.Account from 登记表.xlsx: 2 new, 0 updated, 0 skipped",
            "登记表.xlsx：新增 2，更新 0，未变 0",
        ),
        (
            "registry.Staff from 名册.xlsx: 1 new, 2 updated, 3 skipped, 4 marked as left",
            "名册.xlsx：新增 1，更新 2，未变 3，标记离职 4",
        ),
        ("registry.Account from a.csv: 5 errors, nothing saved", "a.csv：5 处错误，未保存任何内容"),
    ],
)
def test_an_imports_detail_reads_in_chinese(client_for, reviewer, detail, shown):
    audit_record(action=AuditEvent.Action.IMPORTED, user=reviewer, detail=detail)
    page = client_for(reviewer).get(URL).content.decode()
    assert shown in page and detail not in page
