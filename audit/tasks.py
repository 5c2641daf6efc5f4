from celery import shared_task

from .services import audit_purge


@shared_task
def purge_audit_trail() -> int:
    """Daily: drop audit rows past the retention period (idempotent: a rerun finds nothing)."""
    return audit_purge()
