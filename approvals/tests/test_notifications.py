"""Transition notifications: written with the change, emailed after the commit, never twice."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import Filing, Notification
from approvals.services.notifications import (
    notification_email_send,
    notifications_mark_read,
    notifications_unread,
    outbox_flush,
)
from approvals.tasks import send_notification_email
from approvals.tests.factories import filing_in
from newmedia import publishing
from newmedia.tests.brokers import closed_port, publishing_to


@pytest.fixture
def people(filer, reviewer, second_reviewer):
    for user in (filer, reviewer, second_reviewer):
        user.email = f"{user.username}@example.edu.cn"
        user.save()
    return filer, reviewer, second_reviewer


def _recipients():
    return sorted(m.to[0] for m in mail.outbox)


def test_it_tells_the_reviewers_of_a_submission_after_the_commit(
    people, department, django_capture_on_commit_callbacks
):
    filer, reviewer, second = people
    filing = filing_in(Filing.State.DRAFT, department=department, name="会计学院工作群")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.step_take(filing, "submit", by=filer, comment="请审核")
    assert mail.outbox == []  # nothing leaves before the transaction commits
    assert Notification.objects.filter(recipient__in=[reviewer, second]).count() == 2
    for callback in callbacks:
        callback()
    assert _recipients() == ["reviewer2@example.edu.cn", "reviewer@example.edu.cn"]
    assert "会计学院工作群" in mail.outbox[0].subject
    assert "请审核" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("state", "name", "arguments"),
    [
        ("submitted", "return_for_revision", {"comment": "补充职务"}),
        ("submitted", "register", {}),
        ("submitted", "order_closure", {"kind": "dissolve", "reason": "僵尸群"}),
    ],
)
def test_it_tells_the_departments_filers_of_a_decision(
    people, department, django_capture_on_commit_callbacks, state, name, arguments
):
    filer, reviewer, _second = people
    filing = filing_in(state, department=department)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_take(filing, name, by=reviewer, **arguments)
    assert _recipients() == ["filer@example.edu.cn"]
    [notice] = notifications_unread(user=filer)
    assert notice.link.endswith(filing.account.get_absolute_url())


def test_it_tells_nobody_of_a_confirmation(people, department, django_capture_on_commit_callbacks):
    _filer, reviewer, _second = people
    filing = filing_in(Filing.State.CLOSING, department=department)
    Filing.objects.filter(pk=filing.pk).update(closure_reported_at=timezone.now())
    filing.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.step_take(filing, "confirm_closed", by=reviewer)
    assert not Notification.objects.exists()


def test_it_tells_nobody_of_a_change_that_was_rolled_back(
    people, department, django_capture_on_commit_callbacks
):
    filer, _reviewer, _second = people
    filing = filing_in(Filing.State.DRAFT, department=department)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.step_take(filing, "submit", by=filer)
            raise RuntimeError("the surrounding work failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_it_sends_each_email_once_however_often_the_task_runs(people, department):
    filer, reviewer, _second = people
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    services.step_take(filing, "register", by=reviewer)
    notice = Notification.objects.get(recipient=filer)
    assert notification_email_send(notification_id=notice.pk) is True
    assert notification_email_send(notification_id=notice.pk) is False
    send_notification_email.delay(notice.pk)
    assert len(mail.outbox) == 1


def test_a_broker_that_is_down_costs_one_short_wait_and_leaves_the_mail_to_the_flush(
    client_for, people, department, django_capture_on_commit_callbacks
):
    """Item 7 of issue 14: each action used to wait out the 2 s connect timeout."""
    filer, _reviewer, _second = people
    filings = [filing_in(Filing.State.DRAFT, department=department) for _ in range(3)]
    took = []
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        for filing in filings:
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                response = client_for(filer).post(
                    reverse("approvals:account_transition", args=[filing.account_id, "submit"]),
                    {},
                )
            took.append(time.monotonic() - started)
            assert response.status_code == 302
    assert max(took) < 1, took
    assert [Filing.objects.get(pk=f.pk).state for f in filings] == ["submitted"] * 3
    # One attempt failed; the breaker skipped the other two without touching the network.
    assert publishing.counters["publish_failed"] == 1
    assert publishing.counters["publish_skipped"] == 4  # two actions, one call per reviewer
    assert mail.outbox == []
    unsent = Notification.objects.filter(email_sent_at__isnull=True)
    assert unsent.count() == 6 and not unsent.filter(email_queued_at__isnull=False).exists()

    # The broker is back (tasks run in-process again): the flush sends what was left, once.
    assert outbox_flush() == 6
    assert len(mail.outbox) == 6
    assert outbox_flush() == 0


def test_it_marks_notifications_read(people, department):
    filer, reviewer, _second = people
    for _n in range(2):
        services.step_take(filing_in("submitted", department=department), "register", by=reviewer)
    assert len(notifications_unread(user=filer)) == 2
    assert notifications_mark_read(user=filer) == 2
    assert notifications_unread(user=filer) == []


def test_the_flush_queues_everything_owed_in_batches_until_none_is_left(people):
    """Item 9 of issue 14: the flush queued at most 1,000 emails a run, one run in ten minutes."""
    filer = people[0]
    Notification.objects.bulk_create(
        Notification(recipient=filer, email_to=filer.email, subject=f"n{n}", body="b")
        for n in range(1001)
    )
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert outbox_flush() == 1001
    assert len(mail.outbox) == 1001
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()
    assert outbox_flush() == 0
