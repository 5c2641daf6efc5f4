"""Background work. Tasks take ids or dates, call one service, and are safe to run twice:
each claims its work in the database (a unique row, or a lock and a "sent" mark)."""

import smtplib
from datetime import date, datetime

from celery import shared_task
from django.conf import settings

from newmedia.dbretry import DATABASE_ERRORS
from newmedia.publishing import publish
from newmedia.tasks import retrying
from robots.services import robot_messages_flush

from .services import escalations, notifications, reminders, returns

# A refused or unreachable mail server, or a database that dropped the connection before the
# send: retry with growing waits (newmedia.tasks.retrying).
MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAIL_RETRY = retrying(*MAIL_ERRORS, *DATABASE_ERRORS)


def _retry_the_mark(task, exc: notifications.EmailSentUnrecorded, **kwargs):
    """Sent, but the database is still away: retry the mark alone, later, never the send."""
    return task.retry(
        kwargs={**kwargs, "sent_at": exc.sent_at.isoformat()},
        countdown=min(
            MAIL_RETRY["retry_backoff_max"],
            settings.NEWMEDIA_MAIL_RETRY_BACKOFF * 2**task.request.retries,
        ),
        max_retries=None,
    )


def _when(sent_at: str | None) -> datetime | None:
    return datetime.fromisoformat(sent_at) if sent_at else None


@shared_task(bind=True, **MAIL_RETRY)
def send_notification_email(
    self, notification_id: int, sent_at: str | None = None, error: str = ""
) -> bool:
    """Email one notification, once; with ``sent_at``, only record that it was sent."""
    try:
        return notifications.notification_email_send(
            notification_id=notification_id, sent_at=_when(sent_at), error=error
        )
    except notifications.EmailSentUnrecorded as exc:
        raise _retry_the_mark(self, exc, notification_id=notification_id, error=exc.error) from exc


@shared_task(bind=True, **MAIL_RETRY)
def send_return_copy(self, return_id: int, sent_at: str | None = None) -> bool:
    """Email a handed-in return's electronic copy to the office mailbox, once."""
    try:
        return returns.return_copy_send(return_id=return_id, sent_at=_when(sent_at))
    except notifications.EmailSentUnrecorded as exc:
        raise _retry_the_mark(self, exc, return_id=return_id) from exc


@shared_task
def sweep_reminders(day: str | None = None) -> dict:
    """Daily: remind late departments at their milestone, or send the reviewers' overdue digest."""
    today = date.fromisoformat(day) if day else None
    return reminders.reminders_sweep(today=today).summary()


@shared_task
def escalate_waiting(day: str | None = None) -> dict:
    """Every working day: remind the assignees of steps that waited too long, and the leaders of
    those that waited longer still (once a day per filing and recipient)."""
    today = date.fromisoformat(day) if day else None
    summary = escalations.escalations_send(today=today)
    return {"reminded": summary.reminded, "digests": summary.digests, "skipped": summary.skipped}


@shared_task
def flush_outbox() -> int:
    """Every ten minutes, and when the broker is back: queue every email and robot message still
    owed, in batches until none is left (e.g. after the broker was down)."""
    publish([(send_return_copy, (pk,)) for pk in returns.return_copies_owed()])
    return notifications.outbox_flush() + robot_messages_flush()
