"""The one audit row of a confirmed import (the site's, the command's, the admin's), and how
the trail shows it. The row keeps a plain English detail; the trail reads it in Chinese."""

import re

from django.utils.translation import gettext as _

from audit.details import detail_renderer
from audit.models import AuditEvent
from audit.services import audit_record

IMPORTED = re.compile(
    r"^(?P<model>[\w.]+) from (?P<file>.*): (?:(?P<new>\d+) new, (?P<updated>\d+) updated, "
    r"(?P<skipped>\d+) skipped(?:, (?P<left>\d+) marked as left)?)?(?:, )?"
    r"(?:(?P<errors>\d+) errors, nothing saved)?(?:(?P<members>\d+) members)?$"
)


def import_audited(
    *,
    user,
    model: str,
    file_name: str,
    new: int = 0,
    updated: int = 0,
    skipped: int = 0,
    left: int = 0,
    errors: int | None = None,
) -> None:
    """Record a confirmed import: done (the counts) or refused (``errors``, nothing saved)."""
    counts = f"{new} new, {updated} updated, {skipped} skipped" + (
        f", {left} marked as left" if left else ""
    )
    if errors is not None:
        counts = f"{errors} errors, nothing saved"
    audit_record(
        action=AuditEvent.Action.IMPORTED,
        user=user,
        outcome=AuditEvent.Outcome.SUCCESS if errors is None else AuditEvent.Outcome.FAILURE,
        detail=f"{model} from {file_name}: {counts}",
    )


@detail_renderer(AuditEvent.Action.IMPORTED)
def import_shown(detail: str) -> str | None:
    match = IMPORTED.match(detail)
    if not match:
        return None
    if match["members"] is not None:  # a group's member roster (cleanup.services.roster_upload)
        return _("%(file)s: %(members)s members") % {
            "file": match["file"],
            "members": match["members"],
        }
    if match["errors"] is not None:
        return _("%(file)s: %(errors)s errors, nothing saved") % {
            "file": match["file"],
            "errors": match["errors"],
        }
    shown = _("%(file)s: %(new)s new, %(updated)s updated, %(skipped)s unchanged") % {
        "file": match["file"],
        "new": match["new"],
        "updated": match["updated"],
        "skipped": match["skipped"],
    }
    if match["left"]:
        shown += _(", %(left)s marked as left") % {"left": match["left"]}
    return shown
