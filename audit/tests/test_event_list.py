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
    """"submit: draft → submitted" is what the row keeps; the trail shows 提交审核：草稿 → 已提交."""
    from approvals import services
    from approvals.models import Filing
    from approvals.tests.factories import filing_in

    filing = filing_in(Filing.State.DRAFT, department=department)
    services.step_take(filing, "submit", by=filer, comment="")
    page = client_for(reviewer).get(reverse("audit:event_list")).content.decode()
    assert "提交审核：草稿 → 已提交" in page
    assert "submit: draft → submitted" not in page
