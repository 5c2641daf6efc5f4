import logging
from datetime import timedelta

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import publishing
from .celery import app
from .requests import current_request_id

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """Liveness for load balancers and container health checks; also the benchmark's ceiling."""
    return HttpResponse("ok", content_type="text/plain")


def _database() -> dict:
    if connection.vendor == "postgresql":
        # Milliseconds, for this transaction only: a kept connection keeps no short limit.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 2000")
            cursor.execute("SELECT 1")
    else:  # SQLite: no transaction, which would take the write lock (IMMEDIATE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    return {"ok": True}


def _broker() -> dict:
    with publishing.connection() as broker:
        client = getattr(broker.default_channel, "client", None)  # Redis: ask it to answer
        if client is not None:
            client.ping()
    return {"ok": True}


def _outbox() -> dict:
    """Emails the broker did not take (failed queueing) and all emails still unsent."""
    from approvals.models import Notification

    unsent = Notification.objects.filter(email_sent_at__isnull=True).exclude(email_to="")
    minute_ago = timezone.now() - timedelta(minutes=1)
    return {
        "unsent": unsent.count(),
        "unqueued": unsent.filter(email_queued_at__isnull=True, created_at__lt=minute_ago).count(),
    }


@require_GET
def readyz(request):
    """Readiness: the database answers ``SELECT 1`` and the broker (when one is configured) a
    ping, each with a short timeout; JSON per dependency, 503 when one is down."""
    checks = {"database": _database}
    if not app.conf.task_always_eager:
        checks["broker"] = _broker
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:
            logger.warning("Readiness: %s is down: %s", name, exc)
            results[name] = {"ok": False, "error": str(exc)[:200]}
    ready = all(result["ok"] for result in results.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": results,
        # This process, since it started: what failed to queue, and the 500s it answered.
        "counters": {
            "publish_failed": publishing.counters["publish_failed"],
            "publish_skipped": publishing.counters["publish_skipped"],
            "server_errors": publishing.counters["server_errors"],
        },
    }
    if results["database"]["ok"]:
        try:
            body["outbox"] = _outbox()
        except Exception as exc:  # a missing table during a migration, say
            body["outbox"] = {"error": str(exc)[:200]}
    response = JsonResponse(body, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """The 500 page, with the request's id for the user to quote; counted for /readyz.

    Rendered without the request's context processors: the database may be what failed.
    """
    publishing.counters["server_errors"] += 1
    page = loader.get_template("500.html").render({"request_id": current_request_id()})
    return HttpResponseServerError(page)
