"""Telling people: in-app notifications written with the change they report, emailed afterwards.

A notification row is written inside the transaction of the change it reports, so a rolled-back
change tells nobody. Its email is sent by a Celery task published after the commit
(newmedia.publishing: a short timeout, a circuit breaker); if the broker is down the row is left
unqueued, and the outbox flush (every ten minutes, and as soon as the broker is back) queues it.
``email_queued_at`` keeps the flush and the sweep from queueing a mail twice. Sending claims the
row first (``email_claimed_at``, an attempt counted), sends, and marks it sent with retries on a
fresh connection, so a retried or redelivered task, or a dropped database connection, never
sends twice.
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from newmedia.dbretry import DATABASE_ERRORS, db_retrying
from newmedia.publishing import (
    owed_claim,
    owed_flush,
    owed_publish,
    owed_unqueuer,
    publish_on_commit,
)
from newmedia.requests import site_url
from registry.roles import REVIEWER_GROUP
from robots.models import Robot
from robots.services import robot_message, robots_post

from ..models import Notification
from ..models.steps import Audience

SYSTEM_NAME = _("the system")

logger = logging.getLogger(__name__)


def site_link(path: str) -> str:
    """An absolute link for emails (newmedia.requests.site_url: NEWMEDIA_SITE_URL, or the
    address the site is served on)."""
    return site_url() + path


def reviewers():
    """The active reviewers: who hears of submissions and gets the overdue digest."""
    return get_user_model().objects.filter(groups__name=REVIEWER_GROUP, is_active=True)


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template (a subject, a text body) rendered without HTML escaping: the text is
    escaped once, where a page shows it; escaped here too, a name with & < > " read &amp;lt;."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def notification_build(*, template: str, context: dict, recipient=None, email_to: str = ""):
    """An unsaved notification from templates/emails/<template>_subject/_body/_body_html."""
    context = {**context, "school_name": settings.NEWMEDIA_SCHOOL_NAME}
    subject = " ".join(render_text(f"emails/{template}_subject.txt", context).split())
    return Notification(
        recipient=recipient,
        email_to=email_to or (recipient.email if recipient is not None else ""),
        subject=subject[:200],
        body=render_text(f"emails/{template}_body.txt", context),
        body_html=render_to_string(f"emails/{template}_body.html", context),
        link=context.get("link", ""),
    )


def notifications_create(notifications: list[Notification]) -> list[Notification]:
    """Save notifications and queue their emails once the current transaction commits.

    They are saved as queued, in the same transaction, so that a flush or a sweep running
    meanwhile leaves them to this commit's own publish; what the broker does not take is marked
    unqueued again, for the flush.
    """
    now = timezone.now()
    for notification in notifications:
        if notification.email_to:
            notification.email_queued_at = now
    created = Notification.objects.bulk_create(notifications)
    ids = [n.pk for n in created if n.email_to]
    if ids:
        publish_on_commit(_send_calls(ids), missed=_unqueue)
    return created


def _send_calls(ids: Iterable[int]) -> list[tuple]:
    from ..tasks import send_notification_email

    return [(send_notification_email, (pk,)) for pk in ids]


# The broker did not take these: the next flush queues them at once.
_unqueue = owed_unqueuer(Notification, mark="email_queued_at", sent="email_sent_at")


def robots_tell(told: Iterable[tuple[Iterable[Robot], Notification, str]]) -> None:
    """Tell group robots what notifications tell: (robots, notification, event) triples, where
    ``event`` is a name a rerun of the same event repeats (robots.services.robots_post)."""
    robots_post(
        robot_message(
            robot=robot,
            event=event,
            subject=notification.subject,
            text=notification.text_on_site,
            link=notification.link,
        )
        for robots, notification, event in told
        for robot in robots
    )


def notification_emails_claim(*, queryset, limit: int | None = None) -> list[int]:
    """Mark the owed emails of ``queryset`` queued (newmedia.publishing.owed_claim); returns
    their ids, to publish."""
    return owed_claim(queryset.email_owed(), mark="email_queued_at", limit=limit)


def notification_emails_publish(*, ids: list[int]) -> int:
    """Publish claimed emails now, in one pass; those the broker refuses are unqueued again."""
    return owed_publish(_send_calls(ids), missed=_unqueue)


def notification_email_send(
    *, notification_id: int, sent_at: datetime | None = None, error: str = ""
) -> bool:
    """Send one notification's email unless it is sent or being sent; True if this call sent it.

    The claim (an attempt counted, in a transaction of its own) comes before the send, and the
    mark after it is retried on a fresh connection: a database that drops the connection in
    between never makes the mail go twice. A mail server that refuses releases the claim, records
    why, and raises, so that the task retries. When even the retried mark fails, it raises
    ``EmailSentUnrecorded``; the task then retries the mark alone (``sent_at`` given).
    """
    if sent_at is not None:
        db_retrying(lambda: _mark_sent(notification_id, sent_at, error))
        return True
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NEWMEDIA_OUTBOX_REQUEUE_SECONDS)
    claimed = db_retrying(
        lambda: (
            Notification.objects.filter(pk=notification_id, email_sent_at__isnull=True)
            .exclude(email_to="")
            .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale))
            .update(
                email_claimed_at=now, email_queued_at=now, email_attempts=F("email_attempts") + 1
            )
        )
    )
    if not claimed:
        return False
    notification = db_retrying(lambda: Notification.objects.get(pk=notification_id))
    message = EmailMultiAlternatives(
        subject=notification.subject, body=notification.body, to=[notification.email_to]
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        error = str(exc)[:300]
        db_retrying(
            lambda: Notification.objects.filter(pk=notification_id).update(
                email_claimed_at=None, email_error=error
            )
        )
        raise
    sent_at, failures = timezone.now(), []
    try:
        db_retrying(lambda: _mark_sent(notification_id, sent_at, ""), failures=failures)
    except DATABASE_ERRORS as exc:
        raise EmailSentUnrecorded(sent_at=sent_at, error=str(exc)) from exc
    if failures:
        db_retrying(lambda: _mark_sent(notification_id, sent_at, failures[-1]))
    return True


class EmailSentUnrecorded(Exception):
    """The mail went out but the database did not take the mark: retry the mark, not the send."""

    def __init__(self, *, sent_at: datetime, error: str):
        super().__init__(error)
        self.sent_at = sent_at
        self.error = error


def _mark_sent(notification_id: int, sent_at: datetime, error: str) -> None:
    note = f"sent; recording it failed first: {error}" if error else ""
    Notification.objects.filter(pk=notification_id).update(
        email_sent_at=sent_at, email_claimed_at=None, email_error=note[:300]
    )


def outbox_flush(*, batch: int = 500) -> int:
    """Queue every owed email, a batch at a time, until none is owed or the broker refuses."""
    return owed_flush(
        Notification.objects.email_owed(),
        mark="email_queued_at",
        calls_for=_send_calls,
        missed=_unqueue,
        batch=batch,
    )


def notifications_unread(*, user, limit: int = 10) -> list[Notification]:
    """The user's newest unread notifications, for the dashboard."""
    return list(Notification.objects.filter(recipient=user, read_at__isnull=True)[:limit])


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given)."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


def step_notify(*, instance, name: str, by, comment: str) -> None:
    """Tell the people a step concerns, and their group's robots: reviewers of what awaits them,
    filers of decisions."""
    step = type(instance).machine[name]
    department = instance.owning_department()
    if step.notify is Audience.REVIEWERS:
        recipients, robots = list(reviewers()), Robot.objects.for_department(None)
    elif step.notify is Audience.FILERS:
        # The department's heads get a copy (抄送), and the department's group robots.
        robots = Robot.objects.for_department(department)
        recipients = list(
            get_user_model()
            .objects.filter(
                Q(filing_departments=department) | Q(headed_departments=department),
                is_active=True,
            )
            .distinct()
        )
    elif step.notify is Audience.ASSIGNEE:
        # A handover concerns one person, not a group.
        recipients = [instance.handovers.select_related("to_user").latest().to_user]
        robots = Robot.objects.none()
    else:
        return
    context = {
        "object": str(instance.audited_object()),
        "department": department.name,
        "action": str(step.label),
        "state": instance.get_state_display(),
        "by": (by.get_full_name() or by.get_username()) if by else str(SYSTEM_NAME),
        "comment": comment.strip(),
        "link": site_link(instance.get_absolute_url()),
    }
    built = [
        notification_build(template="step", context=context, recipient=user)
        for user in recipients
        if by is None or user.pk != by.pk
    ]
    notifications_create(built)
    robots = list(robots)
    if robots:  # the same text: a notification's text names no recipient
        told = built[0] if built else notification_build(template="step", context=context)
        event = f"step:{instance._meta.label_lower}:{instance.pk}:{name}:{uuid.uuid4().hex}"
        robots_tell([(robots, told, event)])
