"""What a department's registration form holds, as plain text per account: stored with each
hand-in, so that a later change shows as a difference and an unchanged form is not sent twice.

A row is the form's own cells (``registry.exports.account_values``, numbers whole) and the
account's approval state; the content hash is the SHA-256 of all rows in a canonical order.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from registry.exports import FORM_COLUMNS, account_values
from registry.layouts import STATE

# The labels of a row's cells after the row number: the form's columns and the state.
LABELS = (*(column.label for column in FORM_COLUMNS[1:]), STATE.label)
NAME_INDEX = 1  # 名称, after 所属单位

ADDED = _("Added: %(name)s")
REMOVED = _("No longer in the department: %(name)s")
CHANGED = _("%(name)s: %(column)s “%(before)s” → “%(after)s”")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def form_rows(accounts) -> dict[str, list[str]]:
    """Each account's row as the form shows it, with its state, keyed by the account's id."""
    rows = {}
    for account in accounts:
        filing = getattr(account, "filing", None)
        state = filing.get_state_display() if filing else ""
        rows[str(account.pk)] = [_text(v) for v in account_values(account, mask=False)] + [state]
    return rows


def rows_hash(rows: dict[str, list[str]]) -> str:
    """The SHA-256 of the rows, the same for the same form whatever the order they came in."""
    canonical = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    account_id: int
    text: str


def rows_changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[Change]:
    """What changed between two forms, account by account, in words."""
    changes = []
    for key in sorted(set(before) | set(after), key=int):
        old, new = before.get(key), after.get(key)
        if old is None:
            changes.append(Change(int(key), str(ADDED % {"name": new[NAME_INDEX]})))
        elif new is None:
            changes.append(Change(int(key), str(REMOVED % {"name": old[NAME_INDEX]})))
        else:
            for label, was, now in zip(LABELS, old, new, strict=False):
                if was != now:
                    text = CHANGED % {
                        "name": new[NAME_INDEX],
                        "column": label,
                        "before": was,
                        "after": now,
                    }
                    changes.append(Change(int(key), str(text)))
    return changes
