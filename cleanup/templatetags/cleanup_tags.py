from django import template

from cleanup.notice import NOTICE_RULES

register = template.Library()


@register.simple_tag
def notice_citation(code: str) -> str:
    """The notice's words behind rule ``code`` (R1 … R6), with where they stand."""
    return NOTICE_RULES[code].citation
