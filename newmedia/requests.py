"""Traceability: every request gets an id, every log line says which request and user wrote it,
and the error page shows the id for the user to quote.

The id is the trusted proxy's ``X-Request-ID`` (only when NEWMEDIA_TRUSTED_PROXY_COUNT says a
proxy is in front, and only if it looks like an id), or a new one. It goes back in the response's
``X-Request-ID`` header, which gunicorn's access log prints (docker-compose.yml).
"""

import logging
import re
import uuid
from contextlib import suppress
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost

_current: ContextVar = ContextVar("newmedia_request", default=None)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Where links point when NEWMEDIA_SITE_URL is unset and this process has not been asked for a
# page yet (a task run from the command line).
LOCAL_SITE = "http://127.0.0.1:8000"
_served_at = ""  # the address this process was last asked for a page on


def site_url() -> str:
    """The site's address for the links sent out (emails, notifications): NEWMEDIA_SITE_URL;
    unset, the address of the request being answered, or of the last one this process answered
    (the demo runs its tasks in-process), or the local default."""
    if settings.NEWMEDIA_SITE_URL:
        return settings.NEWMEDIA_SITE_URL.rstrip("/")
    request = _current.get()
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return _served_at or LOCAL_SITE


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
        if not settings.NEWMEDIA_SITE_URL:
            global _served_at
            with suppress(DisallowedHost):  # answered 400 further on
                _served_at = request.build_absolute_uri("/").rstrip("/")
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
