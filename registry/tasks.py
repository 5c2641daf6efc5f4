"""Background work of the register. Tasks call one service and are safe to run twice."""

from celery import shared_task

from . import services


@shared_task
def purge_pending_imports() -> int:
    """Delete spreadsheet uploads left waiting for confirmation longer than allowed."""
    return services.pending_imports_purge()
