"""Reads for the reviewer's command centre and the campaign's public summary.

Every figure is counted by the database in one grouped query (or a correlated count per
department row), so a page costs the same number of queries for 10 departments or 1,000; the
accounts are counted from the tally the database keeps (``AccountTally``), so that a page costs
about the same time for 1,000 accounts or 100,000. A chart
is one ``Chart``: the page draws it (Chart.js, from ``as_json``), shows the same numbers as a
table (``header`` and ``rows``) and exports them, so the three cannot disagree.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cleanup.models import Finding, FindingTally, Severity
from cleanup.rules import ORDER, rule_title
from registry.models import Account, Department

from .models import (
    CLOSURE_KINDS,
    AccountTally,
    AnnualConfirmation,
    Campaign,
    ChangeRequest,
    DepartmentReturn,
    Filing,
    ManualReminderLog,
    ReminderLog,
    ReturnState,
    SchoolTally,
)
from .selectors import (
    DONE_RETURN_STATES,
    campaign_departments,
    members_to_remove,
    open_findings,
    tallies,
)
from .services.escalations import escalated_count

# Departments in the order a return moves, for sorting by how far each has got.
RETURN_PROGRESS = (
    ReturnState.NOT_STARTED,
    ReturnState.IN_PROGRESS,
    ReturnState.RETURNED,
    ReturnState.HANDED_IN,
    ReturnState.ACCEPTED,
)

# The command centre's sort orders: the only values ``?sort=`` accepts. Ties go by code.
SORTS = {
    "department": ("code",),
    "-department": ("-code",),
    "state": ("return_rank", "code"),
    "-state": ("-return_rank", "code"),
    "-open": ("-open_accounts", "code"),
    "open": ("open_accounts", "code"),
    "-blocking": ("-blocking_findings", "-warning_findings", "code"),
    "blocking": ("blocking_findings", "warning_findings", "code"),
    "reminded": (F("last_reminder_at").asc(nulls_first=True), "code"),
    "-reminded": (F("last_reminder_at").desc(nulls_last=True), "code"),
}
SORT_LABELS = {
    "department": _("Department (A to Z)"),
    "-department": _("Department (Z to A)"),
    "state": _("Return state (least advanced first)"),
    "-state": _("Return state (most advanced first)"),
    "-open": _("Open accounts (most first)"),
    "open": _("Open accounts (fewest first)"),
    "-blocking": _("Blocking findings (most first)"),
    "blocking": _("Blocking findings (fewest first)"),
    "reminded": _("Last reminder (longest ago first)"),
    "-reminded": _("Last reminder (most recent first)"),
}


def _latest(queryset):
    """Per department row: when it was last reminded through these logs."""
    rows = queryset.filter(department=OuterRef("pk")).order_by("-created_at", "-pk")
    return Subquery(rows.values("created_at")[:1])


def changed_after_hand_in():
    """Per department row: whether any of its accounts was added, edited or moved to another
    state after the department's last hand-in (the return page lists what changed)."""
    since = OuterRef("handed_in_at")
    changed = Exists(
        Account.objects.filter(department=OuterRef("pk")).filter(
            Q(updated_at__gt=since) | Q(filing__state_changed_at__gt=since)
        )
    )
    # Only for a department that handed in: the database walks its accounts for nobody else.
    return Case(
        When(handed_in_at__isnull=False, then=changed),
        default=Value(False),
        output_field=BooleanField(),
    )


def _confirmations(campaign: Campaign, state: str | None = None):
    """Per department row: its confirmations in the annual review (in one state)."""
    rows = AnnualConfirmation.objects.filter(campaign=campaign, account__department=OuterRef("pk"))
    if state:
        rows = rows.filter(state=state)
    counted = rows.order_by().values("campaign").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def centre_departments(*, user, campaign: Campaign):
    """Every department the user sees, with its return to the campaign, its open accounts,
    members to remove and last reminders (the sweep's and a reviewer's), in one query. Its open
    findings are counted for a page at a time (``attach_counts``), or for every row when the
    rows are filtered or sorted by them (``with_findings``)."""
    auto = ReminderLog.objects.filter(campaign=campaign)
    rows = campaign_departments(user=user, campaign=campaign)
    if campaign.is_annual_review:
        rows = rows.annotate(
            confirmations_total=_confirmations(campaign),
            confirmations_pending=_confirmations(campaign, AnnualConfirmation.State.PENDING),
        )
    return rows.annotate(
        members_to_remove=members_to_remove(),
        last_auto_at=_latest(auto),
        last_auto_milestone=Subquery(
            auto.filter(department=OuterRef("pk"))
            .order_by("-created_at", "-pk")
            .values("milestone")[:1]
        ),
        last_manual_at=_latest(ManualReminderLog.objects.filter(campaign=campaign)),
        changed_after_hand_in=changed_after_hand_in(),
    )


def with_findings(queryset):
    """The rows with their open findings by severity as aliases, to filter or sort by: one
    read of the findings tally per row and severity, so only when asked for."""
    if "blocking_findings" in queryset.query.annotations:
        return queryset
    return queryset.alias(
        blocking_findings=open_findings(Severity.BLOCKING),
        warning_findings=open_findings(Severity.WARNING),
    )


def _return_rank(queryset):
    """How far a row's return has got (``RETURN_PROGRESS``), to sort by."""
    rank = Case(
        *(When(return_state=state, then=Value(n)) for n, state in enumerate(RETURN_PROGRESS)),
        output_field=IntegerField(),
    )
    return queryset.alias(return_rank=rank)


def _last_reminder_at(queryset):
    """The later of a row's last reminders, to sort by. Greatest() is NULL on SQLite when either
    side is: each side falls back on the other."""
    return queryset.alias(
        last_reminder_at=Greatest(
            Coalesce("last_auto_at", "last_manual_at"), Coalesce("last_manual_at", "last_auto_at")
        )
    )


# What a sort orders by besides the row's own columns: worked out only when sorting by it.
SORT_ALIASES = {"state": _return_rank, "reminded": _last_reminder_at, "blocking": with_findings}


def sort_departments(queryset, sort: str):
    """The rows in a whitelisted order; anything else keeps the default (by code)."""
    if sort not in SORTS:
        return queryset
    if aliases := SORT_ALIASES.get(sort.lstrip("-")):
        queryset = aliases(queryset)
    return queryset.order_by(*SORTS[sort])


def attach_counts(rows: list[Department]) -> list[Department]:
    """Give each row of a page its accounts by state (``state_counts``: state and count, in the
    workflow's order, non-zero only), ``total_accounts``, and its open findings by severity
    (``blocking_findings``, ``warning_findings``), in two grouped queries of the tallies for the
    whole page."""
    counts: dict[int, dict[str, int]] = {row.pk: {} for row in rows}
    grouped = (
        AccountTally.objects.filter(department_id__in=list(counts))
        .order_by()
        .values_list("department_id", "state")
        .annotate(n=Sum("n"))
    )
    for department_id, state, n in grouped:
        counts[department_id][state] = n
    findings = {
        (department_id, severity): n
        for department_id, severity, n in FindingTally.objects.filter(
            department_id__in=list(counts)
        )
        .order_by()
        .values_list("department_id", "severity")
        .annotate(n=Sum("n"))
    }
    for row in rows:
        by_state = counts[row.pk]
        row.state_counts = [
            (state, by_state[state]) for state in Filing.State.values if by_state.get(state)
        ]
        row.total_accounts = sum(by_state.values())
        row.blocking_findings = findings.get((row.pk, Severity.BLOCKING), 0)
        row.warning_findings = findings.get((row.pk, Severity.WARNING), 0)
    return rows


def handed_in_counts(departments, campaign: Campaign) -> dict[str, int]:
    """How many of these departments there are (``departments``) and how many of them have
    handed in their return to the campaign (``handed_in``), in one query."""
    return departments.aggregate(
        departments=Count("pk", distinct=True),
        handed_in=Count(
            "returns",
            filter=Q(returns__campaign=campaign, returns__state__in=list(DONE_RETURN_STATES)),
            distinct=True,
        ),
    )


@dataclass
class CentreTotals:
    departments: int
    done: int
    open_accounts: int
    blocking_findings: int
    # Filings that waited at a reviewer's or a leader's step longer than escalation allows.
    overdue_steps: int = 0
    # Changes to registered accounts waiting for a reviewer (变更待审).
    pending_changes: int = 0

    @property
    def late(self) -> int:
        return self.departments - self.done


def centre_totals(*, user, campaign: Campaign, charts: dict[str, "Chart"]) -> CentreTotals:
    """The headline figures over every department the user sees: the departments in one query,
    the accounts and findings from the page's own charts (``centre_charts``), so that the
    headline and the charts cannot disagree."""
    counts = handed_in_counts(Department.objects.for_user(user), campaign)
    return CentreTotals(
        departments=counts["departments"],
        done=counts["handed_in"],
        open_accounts=charts["platforms"].total(*Filing.EDITABLE_STATES),
        blocking_findings=charts["findings"].total(Severity.BLOCKING),
        overdue_steps=escalated_count(),
        pending_changes=ChangeRequest.objects.for_user(user)
        .filter(state=ChangeRequest.State.PENDING)
        .count(),
    )


# Charts.


@dataclass
class Series:
    label: str
    values: list[int]
    kind: str = ""  # a Chart.js dataset type, when it differs from the chart's
    key: str = ""  # what the series counts (a state, a severity), for totals


@dataclass
class Chart:
    key: str
    title: str
    label_heading: str
    labels: list[str]
    series: list[Series] = field(default_factory=list)
    kind: str = "bar"
    stacked: bool = True
    horizontal: bool = False

    @property
    def header(self) -> list[str]:
        return [str(self.label_heading), *(str(s.label) for s in self.series)]

    @property
    def rows(self) -> list[list]:
        return [[label, *(s.values[n] for s in self.series)] for n, label in enumerate(self.labels)]

    @property
    def empty(self) -> bool:
        return not any(any(s.values) for s in self.series)

    def total(self, *keys: str) -> int:
        """The sum of the series counting any of these keys."""
        return sum(sum(s.values) for s in self.series if s.key in keys)

    def as_json(self) -> dict:
        return {
            "type": self.kind,
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "labels": [str(label) for label in self.labels],
            "datasets": [
                {"label": str(s.label), "data": s.values, **({"type": s.kind} if s.kind else {})}
                for s in self.series
            ],
        }


CHART_TITLES = {
    "platforms": _("Accounts by platform and state"),
    "progress": _("Hand-in progress"),
    "closures": _("Closures by kind"),
    "findings": _("Open findings by check"),
}


def _matrix(pairs, labels, columns) -> list[list[int]]:
    """Counts of (row, column) pairs, a pair's counts summed, as one list of values per column."""
    grid: dict[tuple[str, str], int] = {}
    for row, column, n in pairs:
        grid[row, column] = grid.get((row, column), 0) + n
    return [[grid.get((row, column), 0) for row in labels] for column in columns]


def account_groups(*, user) -> list[tuple[str, str, str, int]]:
    """The user's visible accounts counted by platform, state and kind of closure, from the
    tally: what the platforms and closures charts show, in one query for both."""
    return list(
        tallies(user=user).values_list("platform", "state", "closure_kind").annotate(n=Sum("n"))
    )


def _state_series(states, columns) -> list[Series]:
    return [
        Series(str(s.label), values, key=s.value) for s, values in zip(states, columns, strict=True)
    ]


def chart_platforms(*, groups) -> Chart:
    """Every visible account (``account_groups``), by platform (rows) and state (series)."""
    states = list(Filing.State)
    columns = _matrix(
        ((platform, state, n) for platform, state, _kind, n in groups),
        [p.value for p in Account.Platform],
        [s.value for s in states],
    )
    return Chart(
        key="platforms",
        title=str(CHART_TITLES["platforms"]),
        label_heading=str(_("Platform")),
        labels=[str(p.label) for p in Account.Platform],
        series=_state_series(states, columns),
    )


def chart_progress(*, user, campaign: Campaign | None) -> Chart:
    """Returns handed in (and still handed in or accepted) per day, and the running total."""
    days: list[date] = []
    per_day: list[int] = []
    if campaign is not None:
        rows = (
            DepartmentReturn.objects.for_user(user)
            .filter(
                campaign=campaign,
                state__in=list(DONE_RETURN_STATES),
                handed_in_at__isnull=False,
            )
            .annotate(day=TruncDate("handed_in_at"))
            .order_by("day")
            .values_list("day")
            .annotate(n=Count("pk"))
        )
        for day, n in rows:
            days.append(day)
            per_day.append(n)
    so_far, running = [], 0
    for n in per_day:
        running += n
        so_far.append(running)
    return Chart(
        key="progress",
        title=str(CHART_TITLES["progress"]),
        label_heading=str(_("Day")),
        labels=[day.isoformat() for day in days],
        series=[
            Series(str(_("Handed in that day")), per_day),
            Series(str(_("Handed in so far")), so_far, kind="line"),
        ],
        stacked=False,
    )


def chart_closures(*, groups) -> Chart:
    """Accounts being closed and closed (``account_groups``), by kind of closure."""
    states = [Filing.State.CLOSING, Filing.State.CLOSED]
    columns = _matrix(
        ((kind, state, n) for _platform, state, kind, n in groups),
        [value for value, _label in CLOSURE_KINDS],
        [s.value for s in states],
    )
    return Chart(
        key="closures",
        title=str(CHART_TITLES["closures"]),
        label_heading=str(_("Kind of closure")),
        labels=[str(label) for _value, label in CLOSURE_KINDS],
        series=_state_series(states, columns),
    )


def chart_findings(*, user) -> Chart:
    """Open clean-up findings by check (only checks that find something), by severity."""
    pairs = list(
        Finding.objects.for_user(user)
        .open()
        .order_by()
        .values_list("rule", "severity")
        .annotate(n=Count("pk"))
    )
    rules = sorted({rule for rule, _severity, _n in pairs}, key=lambda r: (ORDER.get(r, 99), r))
    severities = list(Severity)
    columns = _matrix(pairs, rules, [s.value for s in severities])
    return Chart(
        key="findings",
        title=str(CHART_TITLES["findings"]),
        label_heading=str(_("Check")),
        labels=[rule_title(rule) for rule in rules],
        series=_state_series(severities, columns),
        horizontal=True,
    )


def centre_charts(*, user, campaign: Campaign | None, keys=tuple(CHART_TITLES)) -> dict:
    """The command centre's charts by key (every one, or those asked for), in one query each
    but a single one for the platforms and closures charts together."""
    charts = {}
    groups = account_groups(user=user) if {"platforms", "closures"} & set(keys) else []
    for key in keys:
        if key == "platforms":
            charts[key] = chart_platforms(groups=groups)
        elif key == "closures":
            charts[key] = chart_closures(groups=groups)
        elif key == "progress":
            charts[key] = chart_progress(user=user, campaign=campaign)
        elif key == "findings":
            charts[key] = chart_findings(user=user)
        else:
            raise KeyError(key)
    return charts


# The public summary.

# Not decided yet: neither kept nor being closed.
UNDECIDED_STATES = frozenset(
    {
        Filing.State.DRAFT,
        Filing.State.SUBMITTED,
        Filing.State.AWAITING_SIGNOFF,
        Filing.State.RETURNED,
    }
)


@dataclass
class Summary:
    """School-wide totals after a campaign: accounts by platform and outcome, departments
    handed in. Only counts and the campaign's own words: no person, no phone, no department."""

    campaign: Campaign
    as_of: date
    header: list[str]
    rows: list[list]
    departments: int
    handed_in: int


def _outcomes() -> list[tuple[str, object]]:
    """The summary's columns: (title, test on (state, closure kind))."""
    closed = Filing.State.CLOSED.label
    columns = [
        (str(_("Kept: approved")), lambda s, k: s == Filing.State.APPROVED),
        (str(_("Kept: registered")), lambda s, k: s == Filing.State.REGISTERED),
    ]
    for value, label in CLOSURE_KINDS:
        columns.append(
            (f"{closed}：{label}", lambda s, k, v=value: s == Filing.State.CLOSED and k == v)
        )
    columns += [
        (str(_("Being closed")), lambda s, k: s == Filing.State.CLOSING),
        (str(_("Still open")), lambda s, k: s in UNDECIDED_STATES),
    ]
    return columns


def campaign_summary(*, campaign: Campaign) -> Summary:
    """The campaign's summary over the whole register, in two queries."""
    grouped = (
        SchoolTally.objects.order_by()
        .values_list("platform", "state", "closure_kind")
        .annotate(n=Sum("n"))
    )
    outcomes = _outcomes()
    by_platform: dict[str, list[int]] = {}
    for platform, state, kind, n in grouped:
        row = by_platform.setdefault(platform, [0] * len(outcomes))
        for index, (_title, test) in enumerate(outcomes):
            if test(state, kind):
                row[index] += n
    rows = []
    totals = [0] * (len(outcomes) + 1)
    for platform in Account.Platform:
        if platform.value not in by_platform:
            continue
        values = by_platform[platform.value]
        values = [*values, sum(values)]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        rows.append([str(platform.label), *values])
    rows.append([str(_("Total")), *totals])
    departments = handed_in_counts(Department.objects.all(), campaign)
    return Summary(
        campaign=campaign,
        as_of=timezone.localdate(),
        header=[str(_("Platform")), *(title for title, _test in outcomes), str(_("Total"))],
        rows=rows,
        **departments,
    )
