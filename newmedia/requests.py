"""Traceability: every request gets an id, every log line says which request and user wrote it,
and the error page shows the id for the user to quote.

The id is the trusted proxy's ``X-Request-ID`` (only when NEWMEDIA_TRUSTED_PROXY_COUNT says a
proxy is in front, and only if it looks like an id), or a new one. It goes back in the response's
``X-Request-ID`` header, which gunicorn's access log prints (docker-compose.yml).
"""

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings

_current: ContextVar = ContextVar("newmedia_request", default=None)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def current_request_id() -> str:
    """The id of the request this thread is answering, or "-"."""
    request = _current.get()
    return getattr(request, "request_id", "-") if request is not None else "-"


class RequestIdMiddleware:
    """Gives the request its id and keeps it where the log lines and the error page find it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        if settings.NEWMEDIA_TRUSTED_PROXY_COUNT > 0 and REQUEST_ID.fullmatch(offered):
            request.request_id = offered
        else:
            request.request_id = uuid.uuid4().hex
        token = _current.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` to every log record ("-" outside a request)."""

    def filter(self, record):
        request = _current.get()
        record.request_id = getattr(request, "request_id", "-") if request is not None else "-"
        # Only a user already loaded: looking one up here could query a database that is down.
        user = getattr(request, "_cached_user", None)
        record.user_id = getattr(user, "pk", None) or "-"
        return True
