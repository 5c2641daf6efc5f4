"""Telling people: in-app notifications written with the change they report, emailed afterwards.

A notification row is written inside the transaction of the change it reports, so a rolled-back
change tells nobody. Its email is sent by a Celery task queued on commit; if the broker is down
at that moment the row simply stays unsent, and the outbox flush (every few minutes) or the next
sweep queues it again. Sending claims the row under a lock and records ``email_sent_at`` in the
same transaction, so a retried or redelivered task never sends twice.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.roles import REVIEWER_GROUP

from ..models import Notification
from ..models.steps import Audience

SYSTEM_NAME = _("the system")

logger = logging.getLogger(__name__)


def site_link(path: str) -> str:
    """An absolute link for emails, from NEWMEDIA_SITE_URL."""
    return settings.NEWMEDIA_SITE_URL.rstrip("/") + path


def reviewers():
    """The active reviewers: who hears of submissions and gets the overdue digest."""
    return get_user_model().objects.filter(groups__name=REVIEWER_GROUP, is_active=True)


def notification_build(*, template: str, context: dict, recipient=None, email_to: str = ""):
    """An unsaved notification from templates/emails/<template>_subject/_body/_body_html."""
    context = {**context, "school_name": settings.NEWMEDIA_SCHOOL_NAME}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    return Notification(
        recipient=recipient,
        email_to=email_to or (recipient.email if recipient is not None else ""),
        subject=subject[:200],
        body=render_to_string(f"emails/{template}_body.txt", context),
        body_html=render_to_string(f"emails/{template}_body.html", context),
        link=context.get("link", ""),
    )


def notifications_create(notifications: list[Notification]) -> list[Notification]:
    """Save notifications and queue their emails once the current transaction commits."""
    created = Notification.objects.bulk_create(notifications)
    ids = [n.pk for n in created if n.email_to]
    if ids:
        transaction.on_commit(lambda: notification_emails_queue(ids=ids))
    return created


def task_queue(task, *args) -> bool:
    """Queue a task; a broker that is down only delays the work, which stays in the database
    for the outbox flush to queue again. True if the broker took it."""
    try:
        task.delay(*args)
    except Exception:  # whatever the transport raises: the page must not fail for it
        logger.warning("Could not queue %s%r; the outbox flush will retry", task.name, args)
        return False
    return True


def notification_emails_queue(*, ids: Iterable[int]) -> None:
    """Queue one email task per notification, stopping at the first the broker refuses."""
    from ..tasks import send_notification_email

    for pk in ids:
        if not task_queue(send_notification_email, pk):
            return


def notification_email_send(*, notification_id: int) -> bool:
    """Send one notification's email unless it was sent already; True if this call sent it.

    The row is locked while sending, so a second worker waits and then finds it sent. A mail
    server that refuses raises, the transaction rolls back, and the task retries later.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.email_sent_at or not notification.email_to:
            return False
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body,
            to=[notification.email_to],
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        message.send()
        Notification.objects.filter(pk=notification.pk).update(email_sent_at=timezone.now())
    return True


def notification_email_failed(*, notification_id: int, error: str) -> None:
    """Note a failed attempt, so the admin shows why an email has not gone yet."""
    Notification.objects.filter(pk=notification_id).update(
        email_error=error[:300], email_attempts=F("email_attempts") + 1
    )


def outbox_flush(*, older_than: timedelta = timedelta(minutes=2), limit: int = 1000) -> int:
    """Queue the emails still unsent a while after their notification was written."""
    cutoff = timezone.now() - older_than
    ids = list(
        Notification.objects.filter(email_sent_at__isnull=True, created_at__lt=cutoff)
        .exclude(email_to="")
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    notification_emails_queue(ids=ids)
    return len(ids)


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
    """Tell the people a step concerns: reviewers of what awaits them, filers of decisions."""
    step = type(instance).machine[name]
    if step.notify is Audience.REVIEWERS:
        recipients = list(reviewers())
    elif step.notify is Audience.FILERS:
        recipients = list(instance.owning_department().filers.filter(is_active=True))
    elif step.notify is Audience.ASSIGNEE:
        recipients = [instance.handovers.select_related("to_user").latest().to_user]
    else:
        return
    context = {
        "object": str(instance.audited_object()),
        "department": instance.owning_department().name,
        "action": str(step.label),
        "state": instance.get_state_display(),
        "by": (by.get_full_name() or by.get_username()) if by else str(SYSTEM_NAME),
        "comment": comment.strip(),
        "link": site_link(instance.get_absolute_url()),
    }
    notifications_create(
        [
            notification_build(template="step", context=context, recipient=user)
            for user in recipients
            if by is None or user.pk != by.pk
        ]
    )
