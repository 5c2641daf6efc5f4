"""`Authorization: Token <key>` (or `Bearer <key>`): the user the token was issued for, while it
is not revoked and the user is active."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from audit.models import AuditEvent
from audit.services import audit_record

from .models import ApiToken, key_hash

MALFORMED = _("Give the token as: Authorization: Token <key>.")
REFUSED = _("The token is not valid, or it was revoked.")
# How often a token's last use is written: a busy script does not write on every request.
LAST_USED_EVERY = timedelta(minutes=1)


class TokenAuthentication(BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED)
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(MALFORMED) from None
        token = ApiToken.objects.usable().select_related("user").filter(key_hash=key_hash(key))
        token = token.first()
        if token is None:
            audit_record(
                action=AuditEvent.Action.LOGIN_FAILED,
                outcome=AuditEvent.Outcome.FAILURE,
                detail=f"API token {key[:8]}…",
            )
            raise exceptions.AuthenticationFailed(REFUSED)
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
