"""Background work. Tasks take ids or dates, call one service, and are safe to run twice:
each claims its work in the database (a unique row, or a lock and a "sent" mark)."""

import smtplib
from datetime import date

from celery import shared_task

from .services import notifications, reminders, returns

# A refused or unreachable mail server: retry with growing waits, well within Redis'
# visibility timeout (an hour), so a waiting retry is never also redelivered.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAIL_RETRY = {
    "autoretry_for": MAIL_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
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
def flush_outbox() -> int:
    """Every few minutes: queue emails left unsent, e.g. while the broker was down."""
    return notifications.outbox_flush()
