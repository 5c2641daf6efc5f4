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


@register.simple_tag
def department_rows(rows):
    """The command centre's table rows, one per department, built here in one string the way the
    admin builds its changelist rows (``items_for_result``): as template nodes, fifty rows of
    eight cells took half of the page's rendering. Every label and message is translated once
    for the page; every text that is not a number or a choice value of our own is escaped."""
    account_list = escape(reverse("approvals:account_list"))
    finding_list = escape(reverse("cleanup:finding_list"))
    states = {value: escape(str(label)) for value, label in Filing.State.choices}
    kinds = {value: escape(str(label)) for value, label in Department.Kind.choices}
    returns = {value: escape(str(label)) for value, label in ReturnState.choices}
    no_accounts = escape(_("No accounts"))
    never = escape(_("Never"))
    by_reviewer = escape(_("sent by a reviewer"))
    remind = escape(_("Remind"))
    nothing_owed = escape(_("Nothing owed"))
    findings = _("%(blocking)s blocking, %(warning)s warnings")
    html = []
    for row in rows:
        name = escape(row.name)
        if row.return_id:
            link = escape(reverse("approvals:return_detail", args=[row.return_id]))
            name = f'<a href="{link}">{name}</a>'
        if row.state_counts:
            links = "".join(
                f'<li><a href="{account_list}?department={row.pk:d}&amp;state={state}">'
                f"{states[state]} {count:d}</a></li>"
                for state, _label, count in row.state_counts
            )
            accounts = f'<ul class="list-unstyled small mb-0">{links}</ul>'
        else:
            accounts = f'<span class="text-muted">{no_accounts}</span>'
        trouble = "0"
        if row.blocking_findings or row.warning_findings:
            counts = {"blocking": row.blocking_findings, "warning": row.warning_findings}
            trouble = (
                f'<a href="{finding_list}?department={row.pk:d}">{escape(findings % counts)}</a>'
            )
        if row.members_to_remove:
            members = ngettext(
                "%(counter)s member to remove",
                "%(counter)s members to remove",
                row.members_to_remove,
            ) % {"counter": row.members_to_remove}
            trouble += f'<div class="text-muted">{escape(members)}</div>'
        reminded = never
        auto, manual = row.last_auto_at, row.last_manual_at
        if manual and (auto is None or manual >= auto):
            reminded = f'{_local(manual)}<div class="text-muted">{by_reviewer}</div>'
        elif auto:
            how = ngettext(
                "daily reminder, %(counter)s day before the deadline",
                "daily reminder, %(counter)s days before the deadline",
                row.last_auto_milestone,
            ) % {"counter": row.last_auto_milestone}
            reminded = f'{_local(auto)}<div class="text-muted">{escape(how)}</div>'
        if row.open_accounts or row.return_state not in DONE_RETURN_STATES:
            # A button of the page's one reminder form: the one clicked names its department.
            action = (
                f'<button class="btn btn-sm btn-outline-primary" type="submit" '
                f'name="department" value="{row.pk:d}">{remind}'
                f'<span class="visually-hidden"> {escape(row.name)}</span></button>'
            )
        else:
            action = f'<span class="text-muted small">{nothing_owed}</span>'
        html.append(
            f'<tr><th scope="row" class="fw-normal">{name}'
            f'<div class="small text-muted">{escape(row.code)}</div></th>'
            f"<td>{kinds.get(row.kind, '')}</td>"
            f'<td><span class="badge {state_class(row.return_state)}">'
            f"{returns[row.return_state]}</span></td>"
            f"<td>{accounts}</td><td>{row.open_accounts:d}</td>"
            f'<td class="small">{trouble}</td><td class="small">{reminded}</td>'
            f"<td>{action}</td></tr>"
        )
    return mark_safe("".join(html))


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
