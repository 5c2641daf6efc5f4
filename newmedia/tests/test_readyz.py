"""/healthz is liveness only; /readyz asks the database and the broker (item 12 of issue 14)."""

import time

import pytest
from django.db import connection
from django.urls import reverse

from newmedia import publishing
from newmedia.tests.brokers import closed_port, publishing_to

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_asking_anyone(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok"


def test_it_is_ready_when_the_database_answers_and_no_broker_is_configured(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": {"ok": True}}  # tasks run in-process: no broker
    assert body["outbox"] == {"unsent": 0, "unqueued": 0}
    assert response["Cache-Control"] == "no-store"


def test_it_answers_503_at_once_when_the_broker_is_down(client):
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        response = client.get(reverse("readyz"))
        took = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False
    assert "Connection refused" in body["checks"]["broker"]["error"]
    assert took < 1.5


# Outside a test transaction, so that the connection really closes and reconnects.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_answers_503_when_the_database_is_down(client, monkeypatch):
    # The database's name points nowhere: the next connection fails as a dead server would.
    monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/db.sqlite3")
    if connection.vendor == "postgresql":
        monkeypatch.setitem(connection.settings_dict, "PORT", closed_port())
    connection.close()
    try:
        response = client.get(reverse("readyz"))
    finally:
        monkeypatch.undo()
        connection.close()
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is False and "outbox" not in body


def test_it_counts_failed_queueing_and_server_errors(client):
    publishing.counters.update(publish_failed=2, publish_skipped=5, server_errors=1)
    counters = client.get(reverse("readyz")).json()["counters"]
    assert counters == {"publish_failed": 2, "publish_skipped": 5, "server_errors": 1}
