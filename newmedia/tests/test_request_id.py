"""Traceability (item 13 of issue 14): a request id in every response, log line and error page."""

import io
import logging

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from newmedia import publishing
from newmedia.requests import RequestContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """What the site's console handler would print for django.request, in its format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(logging.Formatter(django_settings.LOGGING["formatters"]["line"]["format"]))
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        logger.removeHandler(handler)


def test_every_response_carries_a_new_id_when_no_proxy_is_trusted(client, settings):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = 0
    first = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="forged-by-the-client")
    second = client.get(reverse("healthz"))
    assert first["X-Request-ID"] != "forged-by-the-client"
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_it_keeps_the_trusted_proxys_id_if_it_looks_like_one(client, settings):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = 1
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="5f0c2a1e-proxy.42")
    assert response["X-Request-ID"] == "5f0c2a1e-proxy.42"
    odd = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="a b\nc")
    assert odd["X-Request-ID"] != "a b\nc" and len(odd["X-Request-ID"]) == 32


def test_a_server_error_shows_its_id_logs_it_with_the_user_and_is_counted(
    settings, filer, log_lines
):
    settings.ROOT_URLCONF = "newmedia.tests.urls_failing"
    client = Client(raise_request_exception=False)
    client.force_login(filer)
    response = client.get("/failing")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    page = response.content.decode()
    assert f"错误编号 {request_id}" in page
    [line] = [line for line in log_lines() if "Internal Server Error: /failing" in line]
    # timestamp, level, logger, user id and request id, then the message
    assert f" ERROR django.request user={filer.pk} request={request_id} " in line
    assert line[:4].isdigit()
    assert publishing.counters["server_errors"] == 1


def test_the_site_answers_server_errors_with_its_own_page():
    from newmedia import urls

    assert urls.handler500 == "newmedia.views.server_error"
