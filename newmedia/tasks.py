from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from . import dbtriggers


def retrying(*errors: type[BaseException], max_retries: int = 8) -> dict:
    """A task's options to retry on ``errors`` with growing waits (NEWMEDIA_MAIL_RETRY_BACKOFF,
    doubling, with jitter), each shorter than half of Redis' visibility timeout, so a waiting
    retry is never also redelivered."""
    return {
        "autoretry_for": errors,
        "retry_backoff": settings.NEWMEDIA_MAIL_RETRY_BACKOFF,
        "retry_backoff_max": min(
            1800, settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] // 2
        ),
        "retry_jitter": True,
        "max_retries": max_retries,
    }


@shared_task
def clear_expired_sessions() -> None:
    """Nightly: remove expired sessions from the database (the server already refuses them)."""
    call_command("clearsessions")


@shared_task
def compact_tallies() -> int:
    """Every minute: fold the tallies' deltas, one row per key (``dbtriggers.compact()``), so
    that reading a count sums few rows. Returns the rows removed."""
    return dbtriggers.compact()
