"""Background work. Tasks take ids or dates, call one service, and are safe to run twice:
each claims its work in the database (a unique row, or a lock and a "sent" mark)."""

import smtplib
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings

from .services import notifications, reminders, returns

# A refused or unreachable mail server: retry with growing waits, each shorter than half of
# Redis' visibility timeout, so a waiting retry is never also redelivered.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAIL_RETRY = {
    "autoretry_for": MAIL_ERRORS,
    "retry_backoff": settings.NEWMEDIA_MAIL_RETRY_BACKOFF,
    "retry_backoff_max": min(
        1800, settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] // 2
    ),
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(bind=True, **MAIL_RETRY)
def send_notification_email(self, notification_id: int) -> bool:
    """Email one notification, once."""
    try:
        return notifications.notification_email_send(notification_id=notification_id)
    except MAIL_ERRORS as exc:
        notifications.notification_email_failed(notification_id=notification_id, error=str(exc))
        raise


@shared_task(bind=True, **MAIL_RETRY)
def send_return_copy(self, return_id: int) -> bool:
    """Email a handed-in return's electronic copy to the office mailbox, once."""
    return returns.return_copy_send(return_id=return_id)


@shared_task
def sweep_reminders(day: str | None = None) -> dict:
    """Daily: remind late departments at their milestone, or send the reviewers' overdue digest."""
    today = date.fromisoformat(day) if day else None
    return reminders.reminders_sweep(today=today).summary()


@shared_task
def flush_outbox(older_than_seconds: int = 120) -> int:
    """Every few minutes: queue emails left unsent, e.g. while the broker was down."""
    for pk in returns.return_copies_owed():
        notifications.task_queue(send_return_copy, pk)
    return notifications.outbox_flush(older_than=timedelta(seconds=older_than_seconds))
