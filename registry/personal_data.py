"""Personal data, stated once: who sees phone numbers unmasked, how they are masked, and the audit
rows for showing and exporting them.

A department's phone numbers are shown whole to its own filers and to reviewers; everyone else
sees them masked (``138****8000``), in pages, the admin and exports. Exports are masked for
everyone unless a user holding ``registry.export_personal_data`` asks for an unmasked one and
states why; that export, and every page that shows a number unmasked, writes an audit row.
"""

import re
from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.details import detail_renderer
from audit.models import AuditEvent
from audit.services import audit_record

from . import roles

# Granted to nobody by default; superusers hold it implicitly.
EXPORT_PERMISSION = "registry.export_personal_data"

# Every phone number the register holds, by model: what is masked, and audited when shown.
PHONE_FIELDS: dict[str, tuple[str, ...]] = {
    "registry.Staff": ("phone",),
    "registry.Account": ("owner_phone",),
}

EXPORT_NOT_PERMITTED = _(
    "You may not export unmasked phone numbers: that needs the permission to export personal "
    "data. Untick the box to export them masked."
)
REASON_REQUIRED = _("Say why you need the phone numbers unmasked.")

_MOBILE = re.compile(r"1\d{10}")
_LANDLINE = re.compile(r"(0\d{2,3})(-?)(\d{5,8})")


def may_see_phones(user: AbstractBaseUser | AnonymousUser, department_id: int | None) -> bool:
    """Whether the user sees the department's phone numbers whole: reviewers and its filers."""
    return roles.sees_all(user) or (
        department_id is not None and roles.is_filer_of(user, department_id)
    )


def may_export_phones(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the user may export phone numbers unmasked (with a stated reason)."""
    return user.is_authenticated and user.has_perm(EXPORT_PERMISSION)


def mask_phone(value: str | None) -> str:
    """The number with its middle hidden: 138****8000, 0791-****0000, else all but the last 4."""
    value = (value or "").strip()
    if not value:
        return ""
    if _MOBILE.fullmatch(value):
        return f"{value[:3]}****{value[-4:]}"
    if landline := _LANDLINE.fullmatch(value):
        area, separator, number = landline.groups()
        return f"{area}{separator}{'*' * (len(number) - 4)}{number[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def shown_phone(value: str | None, *, user, department_id: int | None) -> str:
    """The number as this user may see it."""
    return (value or "") if may_see_phones(user, department_id) else mask_phone(value)


def phone_fields(model: type[models.Model] | models.Model) -> tuple[str, ...]:
    """The names of the model's phone-number fields."""
    return PHONE_FIELDS.get(model._meta.label, ())


def personal_data_viewed(*, user, objects: Iterable[models.Model], detail: str = "") -> int:
    """Record one audit row if a page showed the user phone numbers unmasked; how many records.

    The row names the record when the page showed one (an account's page), and counts them when
    it showed a list.
    """
    shown = [
        obj
        for obj in objects
        if any(getattr(obj, name) for name in phone_fields(obj))
        and may_see_phones(user, obj.department_id)
    ]
    if shown:
        single = len(shown) == 1
        audit_record(
            action=AuditEvent.Action.PERSONAL_DATA_VIEWED,
            user=user,
            obj=shown[0] if single else None,
            detail=detail if single else f"{detail} ({len(shown)} {shown[0]._meta.label} rows)",
        )
    return len(shown)


VIEWED = re.compile(r"^(?P<page>\S*) \((?P<rows>\d+) (?P<model>\w+\.\w+) rows\)$")
EXPORTED = re.compile(r"^(?P<model>\w+\.\w+), (?P<rows>\d+) rows, (?P<format>\w+): (?P<reason>.*)$")


def _records(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except LookupError:  # a model since removed
        return label


@detail_renderer(AuditEvent.Action.PERSONAL_DATA_VIEWED)
def viewed_shown(detail: str) -> str | None:
    match = VIEWED.match(detail)
    if not match:
        return None  # the page's address alone: one record, named in the row
    return gettext("%(page)s (%(rows)s %(records)s)") % {
        "page": match["page"],
        "rows": match["rows"],
        "records": _records(match["model"]),
    }


@detail_renderer(AuditEvent.Action.PERSONAL_DATA_EXPORTED)
def exported_shown(detail: str) -> str | None:
    match = EXPORTED.match(detail)
    if not match:
        return None
    return gettext("%(rows)s %(records)s, %(format)s. Reason: %(reason)s") % {
        "rows": match["rows"],
        "records": _records(match["model"]),
        "format": match["format"],
        "reason": match["reason"],
    }


def personal_data_exported(
    *, user, model: type[models.Model], rows: int, file_format: str, reason: str
) -> AuditEvent:
    """Record an export that carried unmasked phone numbers, with the reason the user gave."""
    return audit_record(
        action=AuditEvent.Action.PERSONAL_DATA_EXPORTED,
        user=user,
        detail=f"{model._meta.label}, {rows} rows, {file_format}: {reason}",
    )
