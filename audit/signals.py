"""Audit rows for logins, failed logins, lockouts and logouts (CAS single logouts too), from the
signals announcing them.

The receivers only write the trail: logging in is Django's business and locking out is axes'.
Each row takes the client address from the request the signal carries, the same address axes
keys its lockouts on.
"""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django_cas_ng.signals import cas_user_logout

from .client import client_ip
from .services import Action, Outcome, audit_record


def _address(request) -> str | None:
    return client_ip(request) if request is not None else None


def record_login(sender, request, user, **kwargs):
    audit_record(action=Action.LOGIN, user=user, client_ip=_address(request))


def record_login_failed(sender, credentials, request=None, **kwargs):
    # The name as typed, known user or not: the trail shows what was tried. A sign-in without a
    # typed name (CAS) says on the request whom it refused and why (newmedia.signin).
    refusal = getattr(request, "login_refusal", None)
    typed = credentials.get(get_user_model().USERNAME_FIELD) or (refusal and refusal.username)
    audit_record(
        action=Action.LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        username=str(typed or ""),
        client_ip=_address(request),
        detail=refusal.detail if refusal else "",
    )


def record_locked_out(sender, request, username, ip_address, **kwargs):
    # axes counts the failures when it locks; a login tried during the lockout has no count.
    failures = getattr(request, "axes_failures_since_start", None)
    audit_record(
        action=Action.LOCKED_OUT,
        outcome=Outcome.FAILURE,
        username=username or "",
        client_ip=ip_address,
        detail=f"locked after {failures} failed logins" if failures else "refused while locked",
    )


def record_logout(sender, request, user, **kwargs):
    if user is None:
        return  # an anonymous visitor "logged out": nothing ended
    audit_record(
        action=Action.LOGOUT,
        user=user,
        client_ip=_address(request),
        detail=getattr(request, "logout_reason", ""),
    )


def record_single_logout(sender, user, **kwargs):
    # The CAS server ended the session (single logout): Django's logout signal does not fire,
    # and the request is the CAS server's, so its address is the server's.
    if sender == "slo" and user is not None and user.is_authenticated:
        audit_record(action=Action.LOGOUT, user=user, detail="single logout from the CAS server")


def connect() -> None:
    """Connect the receivers; called once from AuditConfig.ready()."""
    user_logged_in.connect(record_login, dispatch_uid="audit_login")
    user_login_failed.connect(record_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(record_locked_out, dispatch_uid="audit_locked_out")
    user_logged_out.connect(record_logout, dispatch_uid="audit_logout")
    cas_user_logout.connect(record_single_logout, dispatch_uid="audit_single_logout")
