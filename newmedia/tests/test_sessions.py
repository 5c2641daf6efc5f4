"""A login gets a new session key, ends on the server at logout, after 30 idle minutes and after
12 hours whatever happens, and everywhere at once when its user is deactivated."""

from datetime import timedelta
from importlib import import_module

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from newmedia.sessions import LOGIN_EXPIRED, user_sessions_end

LOGIN = reverse("login")
DASHBOARD = reverse("approvals:dashboard")
PASSWORD = "pw-for-tests"  # the factories' password


def _session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _logged_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _sessions_of(user):
    return [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user.pk)]


def test_it_gives_a_new_session_key_at_login(client, filer):
    # Something an attacker could have planted: a session from before the login.
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["planted"] = True
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    response = client.post(LOGIN, {"username": "filer", "password": PASSWORD})
    assert response.status_code == 302
    assert _session_key(client) != store.session_key
    assert not Session.objects.filter(session_key=store.session_key).exists()
    assert _logged_in(client)


def test_it_ends_the_session_on_the_server_at_logout(client, filer):
    client.post(LOGIN, {"username": "filer", "password": PASSWORD})
    stolen = _session_key(client)
    client.post(reverse("logout"), {})
    assert not Session.objects.filter(session_key=stolen).exists()
    # Replaying the cookie from before the logout does not log anyone in.
    replay = type(client)()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert not _logged_in(replay)


def test_it_refuses_to_log_out_with_a_get(client_for, filer):
    client = client_for(filer)
    assert client.get(reverse("logout")).status_code == 405
    assert _logged_in(client)


def test_it_ends_a_login_idle_for_too_long(client, filer, settings):
    settings.NEWMEDIA_SESSION_IDLE_TIMEOUT = 30 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(LOGIN, {"username": "filer", "password": PASSWORD})
        key = _session_key(client)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert _logged_in(client)
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get(DASHBOARD)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert [str(m) for m in get_messages(response.wsgi_request)] == [str(LOGIN_EXPIRED)]
    assert not Session.objects.filter(session_key=key).exists()
    logout = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert (logout.user, logout.detail) == (filer, "idle for more than 30 minutes")


def test_it_ends_a_login_after_its_lifetime_however_busy(client, filer, settings):
    settings.SESSION_COOKIE_AGE = 12 * 60 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(LOGIN, {"username": "filer", "password": PASSWORD})
    # A page every 20 minutes keeps the login alive ...
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert _logged_in(client), minutes
    # ... until 12 hours after it began, even though the session was saved minutes ago.
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert not _logged_in(client)
    logout = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert logout.detail == "logged in for more than 720 minutes"


def _session_writes(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    ]


def test_it_writes_the_session_at_most_once_a_minute(client_for, filer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = client_for(filer)
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert _session_writes(client) == []
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert len(_session_writes(client)) == 1


def test_it_ends_every_login_of_a_user_deactivated_in_the_admin(
    client, filer, reviewer, admin_user
):
    office, phone = type(client)(), type(client)()
    for browser in (office, phone):
        browser.post(LOGIN, {"username": "filer", "password": PASSWORD})
    colleague = type(client)()
    colleague.force_login(reviewer)
    admin = type(client)()
    admin.force_login(admin_user)

    change = reverse("admin:auth_user_change", args=[filer.pk])
    form = admin.get(change).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and name not in ("password", "last_login", "date_joined")
    }
    data.update(
        is_active="",
        groups=[group.pk for group in filer.groups.all()],
        user_permissions=[],
        last_login_0="",
        last_login_1="",
        date_joined_0=timezone.localtime(filer.date_joined).strftime("%Y-%m-%d"),
        date_joined_1=timezone.localtime(filer.date_joined).strftime("%H:%M:%S"),
    )
    data = {name: value for name, value in data.items() if value is not None}
    response = admin.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    filer.refresh_from_db()
    assert not filer.is_active
    assert _sessions_of(filer) == []
    assert not _logged_in(office) and not _logged_in(phone)
    assert _logged_in(colleague)
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_DEACTIVATED)
    assert (event.user, event.object_id, event.detail) == (
        admin_user,
        str(filer.pk),
        "2 session(s) ended",
    )


def test_it_deactivates_users_with_the_admin_action(client, filer, outsider, admin_user):
    for user in (filer, outsider):
        type(client)().force_login(user)
    admin = type(client)()
    admin.force_login(admin_user)
    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [filer.pk, outsider.pk]},
    )
    assert response.status_code == 302
    assert _sessions_of(filer) == _sessions_of(outsider) == []
    assert AuditEvent.objects.filter(action=AuditEvent.Action.USER_DEACTIVATED).count() == 2


@pytest.mark.django_db
def test_it_ends_only_that_users_sessions(client, filer, reviewer):
    for user in (filer, filer, reviewer):
        type(client)().force_login(user)
    assert user_sessions_end(user=filer) == 2
    assert _sessions_of(filer) == []
    assert len(_sessions_of(reviewer)) == 1


def test_it_clears_expired_sessions_nightly(db):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from newmedia.tasks import clear_expired_sessions

    expired, live = SessionStore(), SessionStore()
    expired.set_expiry(-1)
    expired.create()
    live.create()
    clear_expired_sessions.delay()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
