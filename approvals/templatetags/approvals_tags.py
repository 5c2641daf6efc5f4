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


_ACTION_CLASSES = {
    "return_for_revision": "warning",
    "order_closure": "danger",
    "request_closure": "danger",
}


@register.filter
def action_class(name: str) -> str:
    """The Bootstrap colour of a transition's button: warnings and closures stand out."""
    return _ACTION_CLASSES.get(name, "primary")
