"""An audit row's 详情 as people read it. Rows keep what the code wrote (``detail``, plain and
stable, in English); an app that knows its words registers how to show its rows' details,
translated, so old rows read as well as new ones."""

from collections.abc import Callable

_SHOWN: dict[str, Callable[[str], str | None]] = {}


def detail_renderer(action: str):
    """Register ``render(detail) -> str | None`` for the rows of one action (None: as stored)."""

    def register(render):
        _SHOWN[action] = render
        return render

    return register


def detail_shown(action: str, detail: str) -> str:
    """The row's detail in the reader's language where an app knows how; else as stored."""
    render = _SHOWN.get(action)
    return (render(detail) if render else None) or detail
