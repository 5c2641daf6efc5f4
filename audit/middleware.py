from django.core.exceptions import PermissionDenied

from .client import client_ip
from .context import current_client_ip
from .services import Action, Outcome, audit_record


class AuditMiddleware:
    """Makes the client address known to audit rows, and records every refused request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_client_ip.reset(token)

    def process_exception(self, request, exception):
        # A service that already recorded its refusal marks the exception, so it is one row.
        if isinstance(exception, PermissionDenied) and not getattr(exception, "audited", False):
            audit_record(
                action=Action.ACCESS_DENIED,
                user=request.user,
                outcome=Outcome.FAILURE,
                detail=f"{request.method} {request.path}: {exception}",
            )
