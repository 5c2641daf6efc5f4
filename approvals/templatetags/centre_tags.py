from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry.models import Department

from ..centre import SORTS
from ..models import Filing, ReturnState
from ..selectors import DONE_RETURN_STATES
from .approvals_tags import state_class

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


class _Page:
    """What every row of a page shares, worked out once: the lists' URLs, and each label and
    message translated and escaped."""

    def __init__(self):
        self.account_list = escape(reverse("approvals:account_list"))
        self.finding_list = escape(reverse("cleanup:finding_list"))
        self.states = {value: escape(str(label)) for value, label in Filing.State.choices}
        self.kinds = {value: escape(str(label)) for value, label in Department.Kind.choices}
        self.returns = {value: escape(str(label)) for value, label in ReturnState.choices}
        self.no_accounts = escape(_("No accounts"))
        self.never = escape(_("Never"))
        self.by_reviewer = escape(_("sent by a reviewer"))
        self.remind = escape(_("Remind"))
        self.nothing_owed = escape(_("Nothing owed"))
        self.findings = _("%(blocking)s blocking, %(warning)s warnings")
        self.changed = escape(_("Changed since the hand-in"))
        self.confirmations = _("%(pending)s of %(total)s unanswered")


@register.simple_tag
def department_rows(rows):
    """The command centre's table rows, one per department, built here in one string the way the
    admin builds its changelist rows (``items_for_result``): as template nodes, fifty rows of
    eight cells took half of the page's rendering. Every text that is not a number or a choice
    value of our own is escaped."""
    page = _Page()
    return mark_safe("".join(_row(page, row) for row in rows))


def _row(page: _Page, row) -> str:
    name = escape(row.name)
    if row.return_id:
        link = escape(reverse("approvals:return_detail", args=[row.return_id]))
        name = f'<a href="{link}">{name}</a>'
    return (
        f'<tr><th scope="row" class="fw-normal">{name}'
        f'<div class="small text-muted">{escape(row.code)}</div></th>'
        f"<td>{page.kinds.get(row.kind, '')}</td>"
        f"<td>{_progress(page, row)}</td>"
        f"<td>{_accounts(page, row)}</td><td>{row.open_accounts:d}</td>"
        f'<td class="small">{_trouble(page, row)}</td>'
        f'<td class="small">{_reminded(page, row)}</td>'
        f"<td>{_action(page, row)}</td></tr>"
    )


def _progress(page: _Page, row) -> str:
    """How far the department has got: its return, or in an annual review its answers."""
    if getattr(row, "confirmations_total", None) is not None:
        pending, total = row.confirmations_pending, row.confirmations_total
        text = escape(page.confirmations % {"pending": pending, "total": total})
        badge = "text-bg-warning" if pending else "text-bg-success"
        return f'<span class="badge {badge}">{text}</span>'
    return (
        f'<span class="badge {state_class(row.return_state)}">'
        f"{page.returns[row.return_state]}</span>{_changed(page, row)}"
    )


def _changed(page: _Page, row) -> str:
    """A handed-in department whose accounts changed since: the office has an old form."""
    if row.return_state in DONE_RETURN_STATES and row.changed_after_hand_in:
        return f' <span class="badge text-bg-warning changed">{page.changed}</span>'
    return ""


def _accounts(page: _Page, row) -> str:
    """The row's accounts by state, each linking to the list of them."""
    if not row.state_counts:
        return f'<span class="text-muted">{page.no_accounts}</span>'
    links = "".join(
        f'<li><a href="{page.account_list}?department={row.pk:d}&amp;state={state}">'
        f"{page.states[state]} {count:d}</a></li>"
        for state, count in row.state_counts
    )
    return f'<ul class="list-unstyled small mb-0">{links}</ul>'


def _trouble(page: _Page, row) -> str:
    """The row's open findings (linking to them) and roster members to remove."""
    cell = "0"
    if row.blocking_findings or row.warning_findings:
        text = page.findings % {"blocking": row.blocking_findings, "warning": row.warning_findings}
        cell = f'<a href="{page.finding_list}?department={row.pk:d}">{escape(text)}</a>'
    if row.members_to_remove:
        members = ngettext(
            "%(counter)s member to remove", "%(counter)s members to remove", row.members_to_remove
        ) % {"counter": row.members_to_remove}
        cell += f'<div class="text-muted">{escape(members)}</div>'
    return cell


def _reminded(page: _Page, row) -> str:
    """When the row was last reminded, and by whom: a reviewer, or the daily sweep."""
    auto, manual = row.last_auto_at, row.last_manual_at
    if manual and (auto is None or manual >= auto):
        return f'{_local(manual)}<div class="text-muted">{page.by_reviewer}</div>'
    if auto:
        how = ngettext(
            "daily reminder, %(counter)s day before the deadline",
            "daily reminder, %(counter)s days before the deadline",
            row.last_auto_milestone,
        ) % {"counter": row.last_auto_milestone}
        return f'{_local(auto)}<div class="text-muted">{escape(how)}</div>'
    return page.never


def _action(page: _Page, row) -> str:
    """A button of the page's one reminder form (the one clicked names its department), for a
    department that still owes something."""
    annual = getattr(row, "confirmations_total", None) is not None
    if (
        row.confirmations_pending
        if annual
        else (row.open_accounts or row.return_state not in DONE_RETURN_STATES)
    ):
        return (
            f'<button class="btn btn-sm btn-outline-primary" type="submit" '
            f'name="department" value="{row.pk:d}">{page.remind}'
            f'<span class="visually-hidden"> {escape(row.name)}</span></button>'
        )
    return f'<span class="text-muted small">{page.nothing_owed}</span>'


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


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
