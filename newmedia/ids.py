"""Ids taken from a request, checked against the database's range before any query.

Django answers a single lookup past an integer field's range itself (no match), but not a list
of them: ``pk__in`` with a number past a 64-bit integer made SQLite raise OverflowError, a 500
(issue 14, item 5). Forms that take several ids take them through this field."""

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1


def in_range(value) -> bool:
    """Whether the value is a whole number a database id can be."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return False
    return -MAX_ID - 1 <= number <= MAX_ID


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Records chosen by their ids, each refused as invalid past the database's range."""

    def _check_values(self, value):
        for pk in value:
            if not in_range(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
