"""A paginator that can be told its total instead of counting it."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CountedPaginator(Paginator):
    """``Paginator`` whose ``count`` is the one given (a tally's exact total, say), or counted by
    the database as usual when none is: a COUNT over 100,000 rows on every page view is most of
    a list page's SQL."""

    def __init__(self, object_list, per_page, *, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.given_count = count

    @cached_property
    def count(self) -> int:
        return super().count if self.given_count is None else self.given_count
