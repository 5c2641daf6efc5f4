"""Writing the audit trail, and purging it after the retention period."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from .context import current_client_ip
from .models import AuditEvent

Action, Outcome = AuditEvent.Action, AuditEvent.Outcome


def audit_record(
    *,
    action: str,
    user=None,
    outcome: str = Outcome.SUCCESS,
    obj: models.Model | None = None,
    detail: str = "",
    username: str = "",
    client_ip: str | None = None,
) -> AuditEvent:
    """Append one row to the audit trail; the client address defaults to the current request's."""
    known = user is not None and user.is_authenticated
    return AuditEvent.objects.create(
        user=user if known else None,
        username=(user.get_username() if known else username)[:150],
        client_ip=client_ip or current_client_ip.get(),
        action=action,
        outcome=outcome,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        detail=detail[:500],
    )


def audit_purge() -> int:
    """Delete the rows older than the retention period; the only way rows ever leave.

    The period is counted on the database's clock, the one its triggers use to refuse younger
    rows (audit/triggers.py), so that a web or worker clock running ahead cannot trip them.
    """
    days = settings.NEWMEDIA_AUDIT_RETENTION_DAYS
    return AuditEvent.objects.purge_before(Now() - timedelta(days=days))
