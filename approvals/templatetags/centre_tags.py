from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from ..centre import SORTS

register = template.Library()

# The order a column sorts in on the first click: counts of trouble, most first.
FIRST_CLICK = {"open": "-open", "blocking": "-blocking"}
DEFAULT_SORT = "department"


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str):
    """A sortable column's header cell: a link that sorts by the column (the other way round
    when it already does), and ``aria-sort`` saying how the rows are sorted now."""
    current = context.get("sort") or DEFAULT_SORT
    if current not in SORTS:
        current = DEFAULT_SORT
    if current == key:
        state, target = "ascending", f"-{key}"
    elif current == f"-{key}":
        state, target = "descending", key
    else:
        state, target = "", FIRST_CLICK.get(key, key)
    query = context["request"].GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    if target != DEFAULT_SORT:
        query["sort"] = target
    marker = {"ascending": " ▲", "descending": " ▼"}.get(state, "")
    return format_html(
        '<th scope="col"{}><a href="?{}">{}</a>{}</th>',
        format_html(' aria-sort="{}"', state) if state else "",
        query.urlencode(),
        label,
        format_html('<span aria-hidden="true">{}</span>', marker) if marker else "",
    )


@register.simple_tag
def state_count_links(row, list_url: str):
    """A department row's accounts by state, each linking to the list of them. Built here in
    one string: as a template loop, or through format_html, these links (seven on each of fifty
    rows) took a third of the command centre's rendering. Only the label is text to escape: the
    state is a choice value, the department and the count are numbers."""
    url = escape(list_url)
    return mark_safe(
        "".join(
            f'<li><a href="{url}?department={row.pk:d}&amp;state={escape(state)}">'
            f"{escape(label)} {count:d}</a></li>"
            for state, label, count in row.state_counts
        )
    )


@register.simple_tag
def chart_table_rows(chart):
    """The rows of the table under a chart: the row's label (escaped), then its numbers. Built
    in one string, like the links above, rather than a template node per cell."""
    return mark_safe(
        "".join(
            f'<tr><th scope="row" class="fw-normal">{escape(label)}</th>'
            + "".join(f'<td class="text-end">{value:d}</td>' for value in values)
            + "</tr>"
            for label, *values in chart.rows
        )
    )
