from django import template
from django.utils.html import format_html, format_html_join

from newmedia.choices import choice_label

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
    if not hasattr(field.field, "choices"):
        return field.as_widget(attrs={"class": "form-control"})
    current = str(field.value() or "")
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if str(value) == current else "", text)
            for value, text in field.field.choices
        ),
    )
    return format_html(
        '<select name="{}" id="{}" class="form-select">{}</select>',
        field.html_name,
        field.id_for_label,
        options,
    )
