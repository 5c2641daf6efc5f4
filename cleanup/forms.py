"""Forms for rosters and the findings list: they validate and normalise; the services decide."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from newmedia.ids import IdMultipleChoiceField
from registry import roles
from registry.models import Department

from .models import RosterMember, Severity
from .notice import notice_choices
from .rosters import FIELD_LABELS, NAME_FIELDS
from .rules import RULE_CHOICES, RULES

MAPPING_NEEDS_NAME = _("Map at least one of the nickname, the name card or the real name.")
MAPPING_TWICE = _("Column %(column)s is chosen for more than one field.")


def column_letter(index: int) -> str:
    """A spreadsheet's name for a column: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


COLUMN_CHOICES = [("", "—")] + [(str(i), column_letter(i)) for i in range(52)]


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Member list"),
        help_text=_(
            "As exported from QQ group management (xlsx or CSV), or the members copied from "
            "WeChat into a spreadsheet or a text file. The new list replaces the current one."
        ),
    )
    header_row = forms.IntegerField(
        label=_("Header row"),
        min_value=1,
        required=False,
        help_text=_("Only when choosing the columns: the number of the row with the headings."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in FIELD_LABELS.items():
            self.fields[f"column_{name}"] = forms.TypedChoiceField(
                label=label,
                choices=COLUMN_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
            )

    @property
    def mapping_fields(self):
        return [self[f"column_{name}"] for name in FIELD_LABELS]

    def clean(self):
        cleaned = super().clean()
        mapping = {
            name: cleaned.get(f"column_{name}")
            for name in FIELD_LABELS
            if cleaned.get(f"column_{name}") is not None
        }
        if mapping:
            if not any(name in mapping for name in NAME_FIELDS):
                raise forms.ValidationError(MAPPING_NEEDS_NAME, code="mapping")
            columns = list(mapping.values())
            for column in columns:
                if columns.count(column) > 1:
                    raise forms.ValidationError(
                        MAPPING_TWICE, params={"column": column_letter(column)}, code="mapping"
                    )
        cleaned["mapping"] = mapping or None
        row = cleaned.get("header_row")
        cleaned["header_index"] = row - 1 if row else None
        return cleaned


class RemovalsForm(forms.Form):
    members = IdMultipleChoiceField(queryset=RosterMember.objects.none())

    def __init__(self, *args, roster, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = RosterMember.objects.filter(
            roster=roster, match__in=RosterMember.TO_REMOVE
        )
        self.fields["members"].error_messages["required"] = _("Select at least one member.")


class DecideForm(forms.Form):
    NOT_STAFF = "none"

    staff = forms.ChoiceField(label=_("Who is it?"))

    def __init__(self, *args, member, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (str(pk), f"{candidates[pk]}，{candidates[pk].department.name}")
            for pk in member.candidates
            if pk in candidates
        ]
        self.fields["staff"].choices = [*choices, (self.NOT_STAFF, _("Not staff"))]

    def clean_staff(self) -> int | None:
        value = self.cleaned_data["staff"]
        return None if value == self.NOT_STAFF else int(value)


def _departments(request):
    return Department.objects.for_user(request.user)


class FindingFilter(django_filters.FilterSet):
    rule = django_filters.ChoiceFilter(
        choices=RULE_CHOICES, label=_("Check"), empty_label=_("All checks")
    )
    notice_rule = django_filters.ChoiceFilter(
        method="by_notice_rule",
        choices=notice_choices,
        label=_("Rule of the notice"),
        empty_label=_("All rules"),
    )
    severity = django_filters.ChoiceFilter(
        choices=Severity.choices, label=_("Severity"), empty_label=_("All severities")
    )
    department = django_filters.ModelChoiceFilter(
        field_name="account__department",
        queryset=_departments,
        label=_("Department"),
        empty_label=_("All departments"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rules' codes are the reviewers' words; a department's people read what each asks.
        if not (self.request and roles.sees_all(self.request.user)):
            self.filters["notice_rule"].extra["choices"] = notice_choices(codes=False)

    def by_notice_rule(self, queryset, name, value: str):
        return queryset.filter(rule__in=[r.code for r in RULES if r.notice_rule == value])
