from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Nightly: remove expired sessions from the database (the server already refuses them)."""
    call_command("clearsessions")
