from django import template

from registry import personal_data
from registry.exports import decided_disposition
from registry.layouts import survivor_text

register = template.Library()


@register.simple_tag(takes_context=True)
def phone(context, value: str, department_id: int) -> str:
    """The phone number as the user may see it: whole for the department's filers and reviewers."""
    return personal_data.shown_phone(value, user=context["user"], department_id=department_id)


@register.filter
def disposition(account) -> str:
    """处置意见 as the form states it: the decided closure with its state, else the proposal,
    and the survivor of a merge by name and number."""
    text, survivor = decided_disposition(account)
    return f"{text} → {survivor_text(survivor)}" if survivor else text
