"""The Celery app: configured from Django's settings (all ``CELERY_*``), tasks found per app."""

import logging
import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newmedia.settings.base")

app = Celery("newmedia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


class FlushOutboxOnConnect(bootsteps.StartStopStep):
    """Queue the outbox flush whenever the worker (re)connects to the broker, so that the mail
    written while the broker was down goes out as soon as it is back, not at the next beat."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, c):
        try:
            c.app.send_task("approvals.tasks.flush_outbox")
        except Exception as exc:  # the beat's flush will do it
            logger.warning("Could not queue the outbox flush on connecting: %s", exc)


app.steps["consumer"].add(FlushOutboxOnConnect)
