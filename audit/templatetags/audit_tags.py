from django import template

from ..details import detail_shown

register = template.Library()


@register.filter
def shown_detail(event) -> str:
    """An audit row's 详情 in the reader's language (audit/details.py)."""
    return detail_shown(event.action, event.detail)
