"""Signing in through the school's CAS (django-cas-ng) or LDAP directory (django-auth-ldap), and
who may use the password form.

A CAS user is a person of the staff roster: the staff number the CAS server vouches for is the
roster's 工号 and the account's user name, so their departments and roles are the account's
(registry.roles), granted by administrators as for everyone else.
"""

from dataclasses import dataclass

import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django_auth_ldap.backend import LDAPBackend
from django_cas_ng import views as cas_views
from django_cas_ng.backends import CASBackend
from django_cas_ng.utils import get_cas_client

from audit.services import Action, Outcome, audit_record
from registry.models import Staff
from registry.roles import FILER_GROUP, HEAD_GROUP, LEADER_GROUP, REVIEWER_GROUP

CAS_BACKEND = "newmedia.signin.StaffCASBackend"
LDAP_BACKEND = "newmedia.signin.RoleLDAPBackend"

TICKET_REFUSED = _(
    "The sign-in ticket from the unified identity authentication was not accepted (it was "
    "used already, has expired or was not issued for this site). Please sign in again."
)
NO_ACCOUNT = _(
    "The unified identity authentication knows you, but this system has no account for you. "
    "Please ask the administrator to add you."
)
CAS_DOWN = _(
    "The unified identity authentication cannot be reached at the moment. Please try again "
    "later; administrators can still log in with their password."
)
LDAP_DOWN = _(
    "The school's directory (LDAP) cannot be reached at the moment, so your password could not "
    "be checked. Please try again later; administrators can still log in."
)
LOCAL_LOGIN_ADMINS_ONLY = _(
    "Please sign in through the unified identity authentication; the password form is for "
    "administrators only."
)


@dataclass(frozen=True)
class LoginRefusal:
    """Whom a sign-in backend refused and why: the failed-login audit row reads it from the
    request (audit.signals), the refusal page shows the message."""

    username: str
    detail: str
    message: str


def _refuse(request, *, username: str, detail: str, message) -> None:
    request.login_refusal = LoginRefusal(username=username, detail=detail, message=message)


def axes_exempt(request, credentials) -> bool:
    """django-axes counts failed passwords, not CAS tickets: guessing passwords is the CAS
    server's to stop, and a stale ticket (a page reloaded) would otherwise lock everyone behind
    the same address out of CAS, under no user name (AXES_WHITELIST_CALLABLE)."""
    return "ticket" in (credentials or {})


class StaffCASBackend(CASBackend):
    """The CAS ticket checked with the CAS server, its staff number matched to the roster."""

    def authenticate(self, request, ticket, service):
        client = get_cas_client(service_url=service, request=request)
        number, attributes, _pgtiou = client.verify_ticket(ticket)
        attributes = attributes or {}
        if settings.CAS_USERNAME_ATTRIBUTE != "cas:user":
            number = attributes.get(settings.CAS_USERNAME_ATTRIBUTE)
        if not number:  # replayed, forged, expired or issued for another service
            _refuse(request, username="", detail="CAS ticket refused", message=TICKET_REFUSED)
            return None
        number = str(number).strip()
        staff = Staff.objects.filter(staff_number=number, status=Staff.Status.ACTIVE).first()
        user = get_user_model()._default_manager.filter(username=number).first()
        if staff is not None and user is None and settings.CAS_CREATE_USER:
            user = get_user_model().objects.create_user(username=number, first_name=staff.name)
        if staff is None or user is None or not self.user_can_authenticate(user):
            name = attributes.get(settings.NEWMEDIA_CAS_NAME_ATTRIBUTE, "")
            department = attributes.get(settings.NEWMEDIA_CAS_DEPARTMENT_ATTRIBUTE, "")
            why = "not in the staff roster" if staff is None else "no account"
            _refuse(
                request,
                username=number,
                detail=f"CAS user {name} ({department}) refused: {why}",
                message=NO_ACCOUNT,
            )
            return None
        return user


class RoleLDAPBackend(LDAPBackend):
    """The password checked by the directory; its groups give the account its roles."""

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            roles = {
                REVIEWER_GROUP: settings.NEWMEDIA_LDAP_REVIEWER_GROUP,
                FILER_GROUP: settings.NEWMEDIA_LDAP_FILER_GROUP,
                HEAD_GROUP: settings.NEWMEDIA_LDAP_HEAD_GROUP,
                LEADER_GROUP: settings.NEWMEDIA_LDAP_LEADER_GROUP,
            }
            member_of = {dn.lower() for dn in ldap_user.group_dns}
            for role, dn in roles.items():
                if dn:
                    group = Group.objects.get(name=role)
                    if dn.lower() in member_of:
                        user.groups.add(group)
                    else:
                        user.groups.remove(group)
        return user


def ldap_unreachable(sender, context, user, request, exception, **kwargs):
    """The directory failed during a login (looking the user up, binding, reading groups): say
    so, not "wrong password"."""
    if request is not None:
        _refuse(
            request,
            username="",
            detail=f"LDAP server unreachable ({context}): {type(exception).__name__}",
            message=LDAP_DOWN,
        )


@method_decorator(csrf_exempt, name="dispatch")  # the CAS server posts single logout requests
class CASLoginView(cas_views.LoginView):
    """django-cas-ng's login, answering its failures with a page in Chinese."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.CAS_SERVER_URL:
            raise Http404
        try:
            return super().dispatch(request, *args, **kwargs)
        except requests.RequestException as exc:
            audit_record(
                action=Action.LOGIN_FAILED,
                outcome=Outcome.FAILURE,
                detail=f"CAS server unreachable: {type(exc).__name__}",
            )
            return _refusal_page(request, CAS_DOWN, status=503)
        except PermissionDenied:
            refusal = getattr(request, "login_refusal", None)
            return _refusal_page(request, refusal.message if refusal else TICKET_REFUSED)


def _refusal_page(request, message, *, status=403):
    return render(request, "registration/cas_refused.html", {"message": message}, status=status)


def logout(request):
    """Signing out: through the CAS server, ending its session too, for a CAS sign-in."""
    if settings.CAS_SERVER_URL and request.session.get(BACKEND_SESSION_KEY) == CAS_BACKEND:
        return cas_views.LogoutView.as_view()(request)
    return auth_views.LogoutView.as_view()(request)


class LoginForm(AuthenticationForm):
    """The password form; for administrators only when NEWMEDIA_LOCAL_LOGIN_FOR_ALL is off."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not (
            settings.NEWMEDIA_LOCAL_LOGIN_FOR_ALL
            or user.is_staff
            or user.is_superuser
            or getattr(user, "backend", None) == LDAP_BACKEND  # the school's password
        ):
            raise ValidationError(LOCAL_LOGIN_ADMINS_ONLY, code="local_login_off")

    def get_invalid_login_error(self):
        refusal = getattr(self.request, "login_refusal", None)
        if refusal is not None:
            return ValidationError(refusal.message, code="unavailable")
        return super().get_invalid_login_error()


class LoginView(auth_views.LoginView):
    """The password form, with the CAS button above it when CAS is on."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(cas_on=bool(settings.CAS_SERVER_URL), **kwargs)
