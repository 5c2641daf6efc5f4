"""Reads for the pages: each starts from the visibility querysets, in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django_fsm_log.models import StateLog

from cleanup.models import FindingTally, RosterMember, Severity
from newmedia.choices import choice_label
from registry import roles
from registry.models import Account, AccountChange, Department
from registry.personal_data import phone_fields, shown_phone

from .models import (
    ACCOUNTS_OPEN,
    AccountTally,
    AnnualConfirmation,
    Campaign,
    ChangeRequest,
    DepartmentReturn,
    Filing,
    ManualReminderLog,
    Notification,
    ReminderLog,
    ReturnState,
    SchoolTally,
    hand_in_problems,
)
from .models.signoff import Handover, LeaveDelegation, SignOff, SignOffMode
from .models.steps import Actor

CREATED_LABEL = _("Created")


@dataclass
class Action:
    """A step offered on a record's page, or the reasons it is not possible now; the view
    gives it its form."""

    name: str
    label: str
    problems: list[str] = field(default_factory=list)
    by_reviewer: bool = False
    form: forms.Form | None = None


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    action: str
    source: str
    target: str
    comment: str


# What a row of a list shows; loading only these makes a page of rows a third cheaper.
ROW_COLUMNS = (
    "name",
    "platform",
    "number",
    "naming_level",
    "category",
    "disposition",
    "department__name",
    "filing__state",
    "filing__state_changed_at",
    "filing__closure_kind",
    "filing__closure_reported_at",
)


def account_rows(*, user):
    """The accounts the user may see, with what a list row shows, in one query."""
    return Account.objects.for_user(user).select_related("department", "filing").only(*ROW_COLUMNS)


def visible_account(*, user, pk: int) -> Account:
    """One account the user may see, with its department and filing; 404 for anything else."""
    return get_object_or_404(
        Account.objects.for_user(user).select_related("department", "filing"), pk=pk
    )


def step_actions(*, instance, user) -> list[Action]:
    """The steps of the record's machine that the user's role may take from its state.

    A step whose guard fails is still listed, with the reasons, so the user learns what is
    missing; steps for another role, or from another state, are not listed.
    """
    machine = type(instance).machine
    return [
        Action(
            name=step.name,
            label=str(step.label),
            problems=machine.problems(instance, step.name),
            by_reviewer=step.actor is Actor.REVIEWER,
        )
        for step in machine.offered(instance, user)
    ]


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def state_history(*, instance) -> list[HistoryEntry]:
    """Each logged step of a record of any of the app's state machines, oldest first."""
    logs = StateLog.objects.for_(instance).select_related("by").order_by("timestamp", "pk")
    return [_history_entry(type(instance), log) for log in logs]


def _history_entry(model, log: StateLog) -> HistoryEntry:
    return HistoryEntry(
        when=log.timestamp,
        who=_who(log.by),
        action=str(model.machine[log.transition].label),
        source=model.State(log.source_state).label if log.source_state else "",
        target=model.State(log.state).label,
        comment=log.description or "",
    )


def filing_history(*, filing: Filing) -> list[HistoryEntry]:
    """Every step of the account, oldest first: its creation, then each logged transition."""
    account = filing.account
    created = HistoryEntry(
        when=account.created_at,
        who=_who(account.created_by),
        action=str(CREATED_LABEL),
        source="",
        target=Filing.State.DRAFT.label,
        comment="",
    )
    return [created, *state_history(instance=filing)]


def return_note(*, filing: Filing) -> HistoryEntry | None:
    """Why a returned account was returned: its latest step into 退回修改, who took it and what
    they asked for; None unless the account is returned now."""
    if filing.state != Filing.State.RETURNED:
        return None
    log = (
        StateLog.objects.for_(filing)
        .filter(state=Filing.State.RETURNED)
        .select_related("by")
        .order_by("-timestamp", "-pk")
        .first()
    )
    return _history_entry(Filing, log) if log is not None else None


@dataclass
class FactChange:
    label: str
    old: str
    new: str


@dataclass
class ChangeEntry:
    when: datetime
    who: str
    path: str
    facts: list[FactChange]
    reason: str = ""


CHANGES_PER_PAGE = 20


@dataclass
class ChangesPage:
    """A page of the field history, newest first; pages are counted from 1 and only said to go
    on when the next has a change (no count of them all)."""

    entries: list[ChangeEntry]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def account_changes(*, account: Account, user, page: str | int | None = None) -> ChangesPage:
    """A page of the account's field history, newest first, each change's values shown as the
    user may see them (phone numbers masked for those who may not see them whole); one query."""
    number = max(1, min(int(page), 10**6)) if str(page or "").isdigit() else 1
    start = (number - 1) * CHANGES_PER_PAGE
    rows = list(
        AccountChange.objects.filter(account=account)
        .select_related("by")
        .order_by("-changed_at", "-pk")[start : start + CHANGES_PER_PAGE + 1]
    )
    shown = _FactValues(account=account, user=user, changes=[c.changes for c in rows])
    entries = [
        ChangeEntry(
            when=change.changed_at,
            who=_who(change.by),
            path=choice_label(change, "path"),
            facts=shown.facts(change.changes),
            reason=change.reason,
        )
        for change in rows[:CHANGES_PER_PAGE]
    ]
    return ChangesPage(entries=entries, number=number, has_next=len(rows) > CHANGES_PER_PAGE)


def changed_since_submitted(*, account: Account, user) -> list[FactChange] | None:
    """For an account submitted again: what changed between its last two submissions, each
    field's value then and now; None when it was submitted once or not at all."""
    if account.filing.state != Filing.State.SUBMITTED:
        return None
    submits = list(
        StateLog.objects.for_(account.filing)
        .filter(transition="submit")
        .order_by("-timestamp", "-pk")
        .values_list("timestamp", flat=True)[:2]
    )
    if len(submits) < 2:
        return None
    latest, previous = submits
    merged: dict[str, list] = {}
    for change in AccountChange.objects.filter(
        account=account, changed_at__gt=previous, changed_at__lte=latest
    ).order_by("changed_at", "pk"):
        for name, (old, new) in change.changes.items():
            merged.setdefault(name, [old, new])[1] = new
    net = {name: pair for name, pair in merged.items() if pair[0] != pair[1]}
    return _FactValues(account=account, user=user, changes=[net]).facts(net)


def pending_changes(*, user, limit: int = 100) -> list[ChangeRequest]:
    """The changes to registered accounts waiting for review, oldest first, each with the labels
    of the fields it changes (``fields``): the review queue's second list."""
    changes = list(
        ChangeRequest.objects.for_user(user)
        .filter(state=ChangeRequest.State.PENDING)
        .select_related("account__department", "requested_by")
        .order_by("requested_at", "pk")[:limit]
    )
    for change in changes:
        change.fields = "、".join(  # in the form's order
            str(Account._meta.get_field(name).verbose_name)
            for name in AccountChange.FIELDS
            if name in change.proposed
        )
    return changes


def pending_confirmation(*, account: Account) -> AnnualConfirmation | None:
    """The account's confirmation the active annual review still waits for, if any."""
    return (
        AnnualConfirmation.objects.filter(
            account=account,
            state=AnnualConfirmation.State.PENDING,
            campaign__is_active=True,
        )
        .select_related("campaign", "account")
        .first()
    )


def confirmation_counts(*, campaign: Campaign, departments) -> dict[int, dict[str, int]]:
    """Per department: its accounts the annual review asks about, and how many are still
    unanswered, in one grouped query."""
    rows = (
        AnnualConfirmation.objects.filter(campaign=campaign, account__department__in=departments)
        .values("account__department_id")
        .annotate(
            total=Count("pk"),
            pending=Count("pk", filter=Q(state=AnnualConfirmation.State.PENDING)),
        )
        .order_by()
    )
    return {row.pop("account__department_id"): row for row in rows}


def annual_confirmations(*, user, campaign: Campaign):
    """The confirmations of the annual review the user may see, unanswered first, then by
    department and account, with what the list shows."""
    return (
        AnnualConfirmation.objects.for_user(user)
        .filter(campaign=campaign)
        .select_related("account__department", "answered_by")
        .order_by(
            Case(When(state=AnnualConfirmation.State.PENDING, then=0), default=1),
            "account__department__code",
            "account__name",
            "pk",
        )
    )


def pending_change(*, account: Account, user) -> ChangeRequest | None:
    """The account's change request waiting for review, if any, with ``facts``: each requested
    field's registered value and the one asked for, shown as the user may see them."""
    change = (
        ChangeRequest.objects.filter(account=account, state=ChangeRequest.State.PENDING)
        .select_related("requested_by")
        .first()
    )
    if change is not None:
        pairs = {name: [change.base.get(name), new] for name, new in change.proposed.items()}
        change.facts = _FactValues(account=account, user=user, changes=[pairs]).facts(pairs)
        change.requested_by_name = _who(change.requested_by)
    return change


class _FactValues:
    """Raw values of a page of changes, shown: choices by label, related records by name (one
    query per kind), dates as stored, phone numbers as the user may see them."""

    def __init__(self, *, account: Account, user, changes: list[dict]):
        self.account, self.user = account, user
        ids: dict[str, set] = {"department": set(), "merge_into": set()}
        for change in changes:
            for name in ids.keys() & change.keys():
                ids[name].update(v for v in change[name] if v is not None)
        self.names = {
            "department": dict(
                Department.objects.filter(pk__in=ids["department"]).values_list("pk", "name")
            ),
            "merge_into": {
                a.pk: str(a)
                for a in Account.objects.filter(pk__in=ids["merge_into"]).only("name", "platform")
            },
        }

    def facts(self, change: dict) -> list[FactChange]:
        return [
            FactChange(
                label=str(Account._meta.get_field(name).verbose_name),
                old=self.value(name, old),
                new=self.value(name, new),
            )
            for name in AccountChange.FIELDS
            if name in change
            for old, new in [change[name]]
        ]

    def value(self, name: str, value) -> str:
        if value in (None, ""):
            return "—"
        if name in self.names:
            return self.names[name].get(value, str(value))
        if name in phone_fields(Account):
            return shown_phone(value, user=self.user, department_id=self.account.department_id)
        field = Account._meta.get_field(name)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return pgettext("a fact's value", "yes") if value else pgettext("a fact's value", "no")
        return str(value)


def tallies(*, user):
    """The tally of the accounts the user sees, by platform, state and kind of closure: the
    school-wide one (``SchoolTally``) for a user who sees every department, else the rows of
    the user's departments in ``AccountTally``. Read it summed."""
    if roles.sees_all(user):
        return SchoolTally.objects.order_by()
    return AccountTally.objects.order_by().filter(department__in=Department.objects.for_user(user))


# What the account tallies are keyed by: a list filtered by these alone (or not at all) takes its
# total from them instead of counting its rows.
TALLIED_FILTERS = frozenset({"department", "platform", "state"})


def tallied_total(*, user, filters, **fixed) -> int | None:
    """How many accounts the user sees match ``filters`` (a filter set's cleaned values, by
    name) and the ``fixed`` ones (``state=…``), summed from the tallies: exact, since they count
    every account. None when a filter is one they are not keyed by (a search, a naming level, a
    wait), for the database to count."""
    given = {name: value for name, value in {**filters, **fixed}.items() if value not in (None, "")}
    if not TALLIED_FILTERS.issuperset(given):
        return None
    department = given.pop("department", None)
    if department is None:
        tally = tallies(user=user)
    else:  # one department, or those a typed text matched
        chosen = department if isinstance(department, QuerySet) else [department]
        tally = AccountTally.objects.order_by().filter(department__in=chosen)
    return tally.filter(**given).aggregate(n=Sum("n"))["n"] or 0


def state_counts(*, user) -> list[tuple[str, str, int]]:
    """How many of the user's visible accounts are in each state, every state listed."""
    counts = dict(tallies(user=user).values_list("state").annotate(n=Sum("n")))
    return [(state.value, state.label, counts.get(state.value, 0)) for state in Filing.State]


def _latest_logs(model, *, object_id, **filters):
    """Per row: the record's logged steps matching ``filters``, latest first. ``object_id`` names
    the outer query's column holding the record's id (or is a reference to it)."""
    return StateLog.objects.filter(
        # Joined by name rather than a cached content-type id, so a page's count of queries is
        # the same whether or not this process has looked the content type up before.
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
        object_id=OuterRef(object_id) if isinstance(object_id, str) else object_id,
        **filters,
    ).order_by("-timestamp", "-pk")


def _last_comment(model, transition: str, *, object_id: str):
    """Per row: the comment of the record's latest step of this kind (why it was returned)."""
    logs = _latest_logs(model, object_id=object_id, transition=transition)
    return Subquery(logs.values("description")[:1])


def _changed_since_returned():
    """Per account row: whether its facts changed after it was last returned, that is, since the
    submission before the one under review."""
    # Two levels out: the account row, from inside the query of its changes.
    returned = _latest_logs(
        Filing, object_id=OuterRef(OuterRef("filing__pk")), state=Filing.State.RETURNED
    )
    return Exists(
        AccountChange.objects.filter(
            account=OuterRef("pk"), changed_at__gt=Subquery(returned.values("timestamp")[:1])
        )
    )


def filer_todo(*, user, limit: int = 10) -> dict[str, list[Account]]:
    """What a filer must do now: returned accounts (with the reviewer's comment), drafts, and
    closures to report done."""
    rows = account_rows(user=user).order_by("filing__state_changed_at")
    return {
        "returned": list(
            rows.filter(filing__state=Filing.State.RETURNED).annotate(
                return_comment=_last_comment(Filing, "return_for_revision", object_id="filing__pk")
            )[:limit]
        ),
        "drafts": list(rows.filter(filing__state=Filing.State.DRAFT)[:limit]),
        "to_report": list(
            rows.filter(
                filing__state=Filing.State.CLOSING,
                filing__closure_reported_at__isnull=True,
            )[:limit]
        ),
    }


def reviewer_queues(*, user) -> dict:
    """What a reviewer must do, oldest first: submissions handed to them, all submissions, and
    closures reported done."""
    rows = account_rows(user=user).order_by("filing__state_changed_at")
    return {
        "handed_to_me": rows.filter(filing__state=Filing.State.SUBMITTED, filing__assignee=user),
        "submitted": rows.filter(filing__state=Filing.State.SUBMITTED),
        "to_confirm": rows.filter(
            filing__state=Filing.State.CLOSING, filing__closure_reported_at__isnull=False
        ),
    }


def reviewer_todo(*, user, limit: int = 10) -> dict[str, list[Account]]:
    """The first rows of each of the reviewer's queues."""
    return {key: list(rows[:limit]) for key, rows in reviewer_queues(user=user).items()}


def review_queue(*, user):
    """Submitted accounts, oldest first: the reviewer's queue, each marked when it changed since
    its previous submission."""
    return (
        account_rows(user=user)
        .filter(filing__state=Filing.State.SUBMITTED)
        .annotate(changed=_changed_since_returned())
        .order_by("filing__state_changed_at", "pk")
    )


def signoff_queue(*, user):
    """The accounts waiting for the user's signature, oldest first: the leader's queue.

    Theirs as a member of the level's group, unless they signed or handed it over; and any
    signature handed to them at the level and not given yet."""
    here = {
        "filing": OuterRef("filing"),
        "round": OuterRef("filing__signoff_round"),
        "level": OuterRef("filing__signoff_level"),
    }
    given = SignOff.objects.filter(
        filing=OuterRef("filing"),
        round=OuterRef("round"),
        level=OuterRef("level"),
        member=OuterRef("from_user"),
    )
    mine = (
        Q(filing__signoff_group__in=user.groups.all())
        & ~Exists(SignOff.objects.filter(**here, member=user))
        & ~Exists(Handover.objects.filter(**here, from_user=user))
    )
    handed_to_me = Exists(Handover.objects.filter(**here, to_user=user).exclude(Exists(given)))
    # The level's members away today who left their signature to the user.
    today = timezone.localdate()
    signed_by_away = SignOff.objects.filter(
        filing=OuterRef(OuterRef("filing")),
        round=OuterRef(OuterRef("filing__signoff_round")),
        level=OuterRef(OuterRef("filing__signoff_level")),
        member=OuterRef("user"),
    )
    acting = Exists(
        LeaveDelegation.objects.filter(
            delegate=user,
            starts_on__lte=today,
            ends_on__gte=today,
            user__groups=OuterRef("filing__signoff_group"),
        ).exclude(Exists(signed_by_away))
    )
    return (
        account_rows(user=user)
        .filter(filing__state=Filing.State.AWAITING_SIGNOFF)
        .filter(mine | handed_to_me | acting)
        .order_by("filing__state_changed_at", "pk")
    )


def signoff_todo(*, user, limit: int = 10) -> dict:
    """How many accounts wait for the user's signature, and the oldest of them."""
    queue = signoff_queue(user=user)
    return {"count": queue.count(), "accounts": list(queue[:limit])}


@dataclass
class ChainLevel:
    """A level of a filing's sign-off chain, as its page shows it."""

    number: int
    group: str
    mode: str
    signatures: list
    pending: list[str]
    current: bool


def signoff_chain(*, filing: Filing) -> list[ChainLevel]:
    """The chain the filing entered last: each level's signatures with their comments, and who
    is still to sign at the level it is at."""
    if not filing.signoff_chain:
        return []
    signatures = {}
    current = filing.signoffs.filter(round=filing.signoff_round).select_related("signer", "member")
    for signoff in current:
        signatures.setdefault(signoff.level, []).append(signoff)
    pending = get_user_model().objects.filter(pk__in=filing.pending_signer_ids())
    modes = dict(SignOffMode.choices)
    return [
        ChainLevel(
            number=index + 1,
            group=level["group_name"],
            mode=modes.get(level["mode"], level["mode"]),
            signatures=signatures.get(index, []),
            pending=[_who(user) for user in pending] if index == filing.signoff_level else [],
            current=filing.state == Filing.State.AWAITING_SIGNOFF and index == filing.signoff_level,
        )
        for index, level in enumerate(filing.signoff_chain)
    ]


def active_campaign() -> Campaign | None:
    """The campaign now running, if any."""
    return Campaign.objects.filter(is_active=True).first()


# Department returns (登记表报送).

DONE_RETURN_STATES = frozenset({ReturnState.HANDED_IN, ReturnState.ACCEPTED})


def visible_return(*, user, pk: int) -> DepartmentReturn:
    """One return the user may see, with its campaign and department; 404 for anything else."""
    return get_object_or_404(
        DepartmentReturn.objects.for_user(user).select_related(
            "campaign", "department", "handed_in_by"
        ),
        pk=pk,
    )


def open_accounts_count(*, department_id: int) -> int:
    """How many of the department's accounts are still drafts or returned."""
    return Filing.objects.filter(
        account__department_id=department_id, state__in=Filing.EDITABLE_STATES
    ).count()


def hand_in_blockers(*, department_return: DepartmentReturn) -> list[str]:
    """What keeps the department from handing in, in words; empty once handed in."""
    if department_return.state in DONE_RETURN_STATES:
        return []
    return hand_in_problems(department_return)


def _summed(tally):
    """Per department row: the sum of its rows of a tally (one kept by triggers)."""
    total = (
        tally.filter(department=OuterRef("pk"))
        .order_by()
        .values("department")
        .annotate(n=Sum("n"))
        .values("n")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def _tallied(states):
    """Per department row: its accounts in these states, from the account tally."""
    return _summed(AccountTally.objects.filter(state__in=list(states)))


def _department_count(queryset, department_lookup: str):
    """Per department row: how many rows of ``queryset`` belong to it (a correlated count)."""
    counts = (
        queryset.filter(**{department_lookup: OuterRef("pk")})
        .order_by()
        .values(department_lookup)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def returned_accounts():
    """Per department row: its accounts returned for revision."""
    return _tallied([Filing.State.RETURNED])


def open_findings(severity: str):
    """Per department row: its open clean-up findings of one severity, from the findings tally
    (an index read, so that 1,000 rows can be sorted and filtered by it)."""
    return _summed(FindingTally.objects.filter(severity=severity))


def members_to_remove():
    """Per department row: members of its groups' current rosters still to be removed (R5)."""
    return _department_count(
        RosterMember.objects.filter(
            roster__is_current=True,
            match__in=list(RosterMember.TO_REMOVE),
            removal_done_at__isnull=True,
        ),
        "roster__account__department",
    )


def campaign_departments(*, user, campaign: Campaign):
    """The departments the user may see, each with its return to the campaign (state "not
    started" where none was opened), scan, hand-in time and open accounts, in one query."""
    return (
        Department.objects.for_user(user)
        # One left join: a department has at most one return per campaign (a unique constraint).
        .annotate(this_return=FilteredRelation("returns", condition=Q(returns__campaign=campaign)))
        .annotate(
            return_id=F("this_return__pk"),
            return_state=Coalesce(
                F("this_return__state"),
                Value(ReturnState.NOT_STARTED.value),
                output_field=CharField(),
            ),
            return_scan=Coalesce(F("this_return__scan"), Value(""), output_field=CharField()),
            handed_in_at=F("this_return__handed_in_at"),
            open_accounts=_tallied(Filing.EDITABLE_STATES),
        )
        .order_by("code")
    )


@dataclass
class ReturnCard:
    """A filer's department in the active campaign: where its return stands, what is missing."""

    department: Department
    return_id: int | None
    state: str
    has_scan: bool
    open_accounts: int
    send_back_reason: str
    returned_accounts: int = 0
    blocking_findings: int = 0
    members_to_remove: int = 0

    @property
    def draft_accounts(self) -> int:
        return self.open_accounts - self.returned_accounts

    @property
    def state_label(self) -> str:
        return ReturnState(self.state).label

    @property
    def done(self) -> bool:
        return self.state in DONE_RETURN_STATES

    @property
    def missing(self) -> list[str]:
        """The hand-in guard's reasons, from the row's counts (the same words as the page)."""
        if self.done:
            return []
        problems = []
        if self.open_accounts:
            problems.append(ACCOUNTS_OPEN % {"count": self.open_accounts})
        return problems


def filer_return_cards(*, user, campaign: Campaign) -> list[ReturnCard]:
    """One card per department the user files for, in one query; nothing is written, so a
    department without a return shows "not started" until its filer opens one."""
    rows = (
        campaign_departments(user=user, campaign=campaign)
        .filter(pk__in=roles.filer_department_ids(user))
        .annotate(
            send_back_reason=_last_comment(DepartmentReturn, "send_back", object_id="return_id"),
            # The checklist's counts, in the same query.
            returned_accounts=returned_accounts(),
            blocking_findings=open_findings(Severity.BLOCKING),
            members_to_remove=members_to_remove(),
        )
    )
    return [
        ReturnCard(
            department=row,
            return_id=row.return_id,
            state=row.return_state,
            has_scan=bool(row.return_scan),
            open_accounts=row.open_accounts,
            send_back_reason=row.send_back_reason or "",
            returned_accounts=row.returned_accounts,
            blocking_findings=row.blocking_findings,
            members_to_remove=row.members_to_remove,
        )
        for row in rows
    ]


def reminders_received(*, user, limit: int = 10) -> list[Notification]:
    """The user's reminders, newest first: the daily sweep's and the reviewers' one-click ones,
    read or not; one query."""
    return list(
        Notification.objects.filter(recipient=user)
        .filter(
            Q(pk__in=ReminderLog.objects.filter(recipient=user).values("notification"))
            | Q(pk__in=ManualReminderLog.objects.filter(recipient=user).values("notification"))
        )
        .only("subject", "created_at", "link")[:limit]
    )
