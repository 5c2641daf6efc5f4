from django import template

from registry import personal_data

register = template.Library()


@register.simple_tag(takes_context=True)
def phone(context, value: str, department_id: int) -> str:
    """The phone number as the user may see it: whole for the department's filers and reviewers."""
    return personal_data.shown_phone(value, user=context["user"], department_id=department_id)
