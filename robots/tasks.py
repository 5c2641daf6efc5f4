"""Posting to group robots, through Celery: retried with backoff, never twice (services)."""

from celery import shared_task

from newmedia.dbretry import DATABASE_ERRORS
from newmedia.tasks import retrying

from .services import RobotBusy, RobotFailed, robot_message_send

# Ten retries, doubling from NEWMEDIA_MAIL_RETRY_BACKOFF up to half an hour, reach well past an
# hour of a robot answering errors; after them the outbox flush queues the message again.
ROBOT_RETRY = retrying(RobotFailed, *DATABASE_ERRORS, max_retries=10)


@shared_task(bind=True, **ROBOT_RETRY)
def send_robot_message(self, message_id: int) -> bool:
    """Post one robot message, once. In-process (no broker) a failure is not retried here and
    now, which would hold up the page: the message waits for the outbox flush."""
    try:
        return robot_message_send(message_id=message_id)
    except RobotBusy as exc:
        if self.request.is_eager:
            return False
        raise self.retry(countdown=exc.wait, max_retries=None) from exc
    except RobotFailed:
        if self.request.is_eager:
            return False
        raise
