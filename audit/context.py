"""The request being served, for audit rows written deep inside services."""

from contextvars import ContextVar

# The client address of the request in progress, set by AuditMiddleware.
current_client_ip: ContextVar[str | None] = ContextVar("current_client_ip", default=None)
