from django import template

register = template.Library()

_STATE_CLASSES = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-primary",
    "returned": "text-bg-warning",
    "approved": "text-bg-success",
    "registered": "text-bg-info",
    "closing": "text-bg-danger",
    "closed": "text-bg-dark",
}


@register.filter
def state_class(state: str) -> str:
    """The Bootstrap badge class for a filing state."""
    return _STATE_CLASSES.get(state, "text-bg-secondary")


@register.filter
def display_name(user) -> str:
    """A user's real name where known, else the login name."""
    return user.get_full_name() or user.get_username()
