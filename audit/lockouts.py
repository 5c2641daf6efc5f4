"""Login lockouts: which logins axes holds locked, the page a locked-out client sees, unlocking.

axes keeps one AccessAttempt row per username, client address and browser; a username is locked
at an address while the failures of its rows younger than the cool-off add up to the limit
(settings ``AXES_*``). Reviewers unlock on the site's lockouts page, since they are not admin
users; administrators also have axes' own pages in the Django admin.
"""

from collections import defaultdict
from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone

from .services import Action, audit_record


def _lock_end(attempts: list[tuple[datetime, int]]) -> datetime | None:
    """When the lock made of these (time, failures) rows lifts, or None if it does not hold.

    A row stops counting a cool-off after its time; the lock lifts when the rows still counting
    fall below the limit.
    """
    remaining = sum(failures for _time, failures in attempts)
    if remaining < settings.AXES_FAILURE_LIMIT:
        return None
    for time, failures in sorted(attempts):
        remaining -= failures
        if remaining < settings.AXES_FAILURE_LIMIT:
            return time + get_cool_off()
    return None  # unreachable: the last row brings the sum to zero


def lockouts_current() -> list[dict]:
    """The logins locked now: username, client address, failures and when each lock lifts."""
    since = timezone.now() - get_cool_off()
    attempts = defaultdict(list)
    rows = AccessAttempt.objects.filter(attempt_time__gte=since).values_list(
        "username", "ip_address", "attempt_time", "failures_since_start"
    )
    for username, ip_address, time, failures in rows:
        attempts[username, ip_address].append((time, failures))
    lockouts = [
        {
            "username": username,
            "ip_address": ip_address,
            "failures": sum(failures for _time, failures in rows),
            "locked_until": end,
        }
        for (username, ip_address), rows in attempts.items()
        if (end := _lock_end(rows))
    ]
    return sorted(lockouts, key=lambda lockout: lockout["locked_until"], reverse=True)


def lockout_ends_at(*, username: str | None, ip_address: str | None) -> datetime | None:
    """When the lock of this username at this address lifts, or None if it is not locked."""
    for lockout in lockouts_current():
        if (lockout["username"], lockout["ip_address"]) == (username, ip_address):
            return lockout["locked_until"]
    return None


def lockout_reset(*, username: str, ip_address: str, by) -> int:
    """Lift the lock of a username at one address before its cool-off ends.

    Returns how many attempt rows were cleared; a second reviewer unlocking the same login finds
    none, and writes no audit row.
    """
    with transaction.atomic():
        cleared = reset(username=username, ip=ip_address)
        if cleared:
            audit_record(
                action=Action.UNLOCKED,
                user=by,
                detail=f"unlocked {username} at {ip_address}",
            )
    return cleared


def lockout_response(request, original_response=None, credentials=None):
    """axes' AXES_LOCKOUT_CALLABLE: the 429 page that says until when, and whom to ask."""
    username = get_client_username(request, credentials)
    locked_until = lockout_ends_at(username=username, ip_address=request.axes_ip_address)
    context = {
        "locked_until": locked_until or timezone.now() + get_cool_off(request),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/locked_out.html", context, status=429)
