"""Rows are written for what matters, carry the real client address, and cannot be rewritten."""

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from approvals import services
from approvals.models import Filing
from approvals.tests.factories import filing_in
from audit.client import client_ip
from audit.models import AuditEvent, AuditImmutable
from audit.services import audit_record

Action, Outcome = AuditEvent.Action, AuditEvent.Outcome


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.5", "1.2.3.4", "10.0.0.5"),  # no proxy: the header is the client's word
        (1, "10.0.0.1", "203.0.113.9", "203.0.113.9"),
        (1, "10.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # forged entry on the left
        (2, "10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "10.0.0.1", "203.0.113.9", "10.0.0.1"),  # shorter chain than configured
    ],
)
def test_it_takes_the_client_address_from_the_trusted_proxies_only(
    settings, proxies, remote, forwarded, expected
):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_it_refuses_to_change_or_delete_a_row(db, reviewer):
    event = audit_record(action=Action.LOGIN, user=reviewer)
    event.detail = "rewritten"
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()
    assert AuditEvent.objects.get().detail == ""


def test_it_keeps_the_name_of_a_user_who_is_gone(db, filer):
    audit_record(action=Action.LOGIN, user=filer)
    filer.delete()
    event = AuditEvent.objects.get()
    assert (event.user, event.username) == (None, "filer")


def test_it_records_a_transition_with_who_what_and_where(client_for, filer, department, settings):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = 1
    filing = filing_in(Filing.State.DRAFT, department=department)
    client_for(filer).post(
        reverse("approvals:account_transition", args=[filing.account_id, "submit"]),
        {},
        HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7",
    )
    event = AuditEvent.objects.get(action=Action.TRANSITION)
    assert (event.user, event.client_ip, event.outcome, event.object_id) == (
        filer,
        "198.51.100.7",
        Outcome.SUCCESS,
        str(filing.account_id),
    )
    assert event.detail == "submit: draft → submitted"


def test_it_records_a_refused_transition_once(client_for, filer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, naming_level="school")
    response = client_for(filer).post(
        reverse("approvals:account_transition", args=[filing.account_id, "approve"]), {}
    )
    assert response.status_code == 403
    [event] = AuditEvent.objects.exclude(action=Action.LOGIN)
    assert (event.action, event.outcome, event.user) == (
        Action.ACCESS_DENIED,
        Outcome.FAILURE,
        filer,
    )
    assert str(services.REVIEWER_ONLY) in event.detail


def test_it_records_any_other_refused_page(client_for, filer):
    assert client_for(filer).get(reverse("approvals:review_queue")).status_code == 403
    event = AuditEvent.objects.exclude(action=Action.LOGIN).get()
    assert (event.action, event.user, event.client_ip) == (Action.ACCESS_DENIED, filer, "127.0.0.1")
    assert reverse("approvals:review_queue") in event.detail


def test_it_writes_no_transition_row_when_the_transition_fails(
    department, reviewer, second_reviewer
):
    filing = filing_in(Filing.State.SUBMITTED, department=department, naming_level="school")
    first, second = Filing.objects.get(pk=filing.pk), Filing.objects.get(pk=filing.pk)
    services.step_take(first, "approve", by=reviewer)
    with pytest.raises(ValidationError):
        services.step_take(second, "approve", by=second_reviewer)
    assert AuditEvent.objects.filter(action=Action.TRANSITION).count() == 1
