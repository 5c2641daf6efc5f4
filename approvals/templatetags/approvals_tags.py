from html import escape

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext

from newmedia.choices import choice_label
from registry.models import Department

from ..filters import DepartmentField, department_label
from ..models import ReturnState

register = template.Library()

_STATE_CLASSES = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-primary",
    "awaiting_signoff": "text-bg-primary",
    "returned": "text-bg-warning",
    "approved": "text-bg-success",
    "registered": "text-bg-info",
    "closing": "text-bg-danger",
    "closed": "text-bg-dark",
    # A department return's states ("returned" is shared, and means the same).
    "not_started": "text-bg-light border",
    "in_progress": "text-bg-info",
    "handed_in": "text-bg-primary",
    "accepted": "text-bg-success",
}


@register.filter
def state_class(state: str) -> str:
    """The Bootstrap badge class for a filing's or a department return's state."""
    return _STATE_CLASSES.get(state, "text-bg-secondary")


@register.filter
def return_state_label(state: str) -> str:
    """The label of a department return's state, for rows that carry only its value."""
    return ReturnState(state).label


_ACTION_CLASSES = {
    "return_for_revision": "warning",
    "return_change": "warning",
    "order_closure": "danger",
    "request_closure": "danger",
    "send_back": "warning",
}


@register.filter
def action_class(name: str) -> str:
    """The Bootstrap colour of a transition's button: warnings and closures stand out."""
    return _ACTION_CLASSES.get(name, "primary")


@register.filter
def label(obj, field_name: str) -> str:
    """The display label of a choice field, like get_FOO_display but from a per-language cache
    (newmedia/choices.py)."""
    return choice_label(obj, field_name)


@register.simple_tag
def filter_field(field):
    """A filter's input: a <select> built directly for choice fields, since Django's widget
    renders every option through its own template, half of a list page's time."""
    if isinstance(field.field, DepartmentField):
        return _department_field(field)
    if not hasattr(field.field, "choices"):
        return field.as_widget(attrs={"class": "form-control"})
    return _select(field, field.field.choices, str(field.value() or ""))


def _select(field, choices, current: str):
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == current else "", text) for value, text in choices),
    )
    return format_html(
        '<select name="{}" id="{}" class="form-select">{}</select>',
        field.html_name,
        field.id_for_label,
        options,
    )


def _department_field(field):
    """The department filter: a drop-down of the user's departments when they are few, else the
    picker's search box (static/department-picker.js), showing the department chosen by id or
    the text the user typed."""
    value = getattr(field.form, "cleaned_data", {}).get(field.name)
    chosen = value if isinstance(value, Department) else None
    if field.field.listed is not None:
        choices = [("", field.field.empty_label)]
        choices += [(department.pk, str(department)) for department in field.field.listed]
        return _select(field, choices, str(chosen.pk) if chosen else "")
    text = department_label(chosen) if chosen else (field.data[1] or "")
    return render_to_string(
        "approvals/includes/department_picker.html",
        {
            "field": field,
            "text_name": field.field.widget.text_name(field.html_name),
            "text": text,
            "chosen": chosen,
        },
    )


class _AccountCells:
    """What every row of an account list shares, worked out once: the detail URL's pattern and
    the badges' texts, translated and escaped."""

    SENTINEL = 2_147_483_647

    def __init__(self):
        self.url = escape(reverse("approvals:account_detail", args=[self.SENTINEL]))
        self.forbidden = escape(gettext("Forbidden name"))
        self.changed = escape(gettext("Changed since it was last submitted"))

    def name(self, account) -> str:
        """The account's name linking to it, with its badges."""
        url = self.url.replace(str(self.SENTINEL), f"{account.pk:d}")
        cell = f'<a href="{url}">{escape(account.name)}</a>'
        if account.forbidden_pattern:
            cell += f' <span class="badge text-bg-danger">{self.forbidden}</span>'
        if getattr(account, "changed", False):
            cell += f' <span class="badge text-bg-info">{self.changed}</span>'
        return cell


def _labels(account, *fields: str) -> str:
    return "".join(f"<td>{escape(choice_label(account, name))}</td>" for name in fields)


@register.simple_tag
def account_rows(accounts):
    """The account list's rows, built in one string as the command centre's are: fifty rows of
    seven cells as template nodes were a third of the page's time. Every text is escaped."""
    cells = _AccountCells()
    return mark_safe(
        "".join(
            f"<tr><td>{cells.name(account)}</td><td>{escape(account.department.name)}</td>"
            f"{_labels(account, 'platform')}<td>{escape(account.number)}</td>"
            f"{_labels(account, 'naming_level', 'category')}<td>{_state(account)}</td></tr>"
            for account in accounts
        )
    )


def _state(account) -> str:
    """The filing's state as a badge; nothing for an account whose filing is not opened yet."""
    filing = getattr(account, "filing", None)
    if filing is None:
        return ""
    return f'<span class="badge {state_class(filing.state)}">{escape(filing.state_shown)}</span>'


@register.simple_tag
def review_rows(accounts):
    """The review queue's rows (a box to select each filing), built as ``account_rows``."""
    cells = _AccountCells()
    return mark_safe(
        "".join(
            f'<tr><td><input class="form-check-input" type="checkbox" name="filings" '
            f'value="{account.filing.pk:d}" id="f{account.filing.pk:d}" '
            f'aria-label="{escape(account.name)}"></td>'
            f"<td>{cells.name(account)}</td><td>{escape(account.department.name)}</td>"
            f"{_labels(account, 'platform', 'naming_level', 'disposition')}"
            f"<td>{date_format(localtime(account.filing.state_changed_at), 'Y-m-d H:i')}</td></tr>"
            for account in accounts
        )
    )
