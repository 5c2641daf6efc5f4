"""Sessions: how long a login lasts, and ending a user's logins on the server.

Django already gives a new session key at login (``login()`` cycles it) and deletes the session
at logout (``logout()`` flushes it). This module adds the two time limits and ends every login of
a user who is deactivated. Sessions must be stored in the database (the default ``db`` engine or
``cached_db``) for ``user_sessions_end`` to find them.
"""

import time
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import Action, audit_record

LOGIN_AT = "newmedia_login_at"
LAST_SEEN = "newmedia_last_seen"
# Saving the session on every request would cost a database write per page; refreshing the last
# activity once a minute is precise enough for a timeout counted in minutes.
TOUCH_EVERY = 60

LOGIN_EXPIRED = _("Your login has expired. Please log in again.")


def _expiry_reason(session, now: float) -> str:
    """Why the login in this session is over, or "" while it is not."""
    login_at = session.get(LOGIN_AT)
    if login_at is None:
        return ""  # a login of this very request: stamped on the way out
    if now - login_at > settings.SESSION_COOKIE_AGE:
        return f"logged in for more than {settings.SESSION_COOKIE_AGE // 60} minutes"
    if now - session.get(LAST_SEEN, login_at) > settings.NEWMEDIA_SESSION_IDLE_TIMEOUT:
        return f"idle for more than {settings.NEWMEDIA_SESSION_IDLE_TIMEOUT // 60} minutes"
    return ""


def session_stamp_login(sender, request, user, **kwargs):
    """Receiver of user_logged_in: the login starts now, and it was active now."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_AT] = session[LAST_SEEN] = time.time()


class SessionLifetimeMiddleware:
    """Ends a login idle for NEWMEDIA_SESSION_IDLE_TIMEOUT or older than SESSION_COOKIE_AGE.

    Checked on the server from times kept in the session, so a browser that keeps its cookie, or
    a copied cookie, does not keep the login alive.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = time.time()
        if request.user.is_authenticated and (reason := _expiry_reason(request.session, now)):
            request.logout_reason = reason  # for the audit row of the logout
            logout(request)
            messages.info(request, LOGIN_EXPIRED)
        response = self.get_response(request)
        if request.user.is_authenticated:
            session = request.session
            session.setdefault(LOGIN_AT, now)  # a login from before this rule: counted from now
            if now - session.get(LAST_SEEN, 0) >= TOUCH_EVERY:
                session[LAST_SEEN] = now
        return response


def user_sessions_end(*, user: AbstractBaseUser) -> int:
    """End every login of the user on the server; returns how many sessions were deleted."""
    user_id = user._meta.pk.value_to_string(user)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == user_id
    ]
    # Through the session store, so that cached_db also drops its cached copy.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    return len(keys)


def user_deactivate(*, user: AbstractBaseUser, by: AbstractBaseUser) -> AbstractBaseUser:
    """Deactivate a user and end all of their logins at once."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = user_sessions_end(user=user)
        audit_record(
            action=Action.USER_DEACTIVATED,
            user=by,
            obj=user,
            detail=f"{ended} session(s) ended",
        )
    return user
