"""The Celery app: configured from Django's settings (all ``CELERY_*``), tasks found per app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newmedia.settings.base")

app = Celery("newmedia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
