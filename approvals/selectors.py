"""Reads for the pages: each starts from the visibility querysets, in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django_fsm_log.models import StateLog

from registry.models import Account

from . import services
from .forms import FORMS
from .models import Campaign, Filing


@dataclass
class Action:
    """A transition offered on the account page: its form, or the reasons it is not possible."""

    name: str
    label: str
    form: forms.Form
    problems: list[str] = field(default_factory=list)
    by_reviewer: bool = False


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


def filing_actions(
    *, filing: Filing, user, bound: dict[str, forms.Form] | None = None
) -> list[Action]:
    """The transitions the user's role may take from the current state, each with its form.

    A transition whose guard fails is still listed, with the reasons, so the user learns what is
    missing; transitions for another role, or from another state, are not listed. ``bound`` holds
    forms already posted, shown again with their errors.
    """
    actions = []
    for name in services.TRANSITIONS:
        if not services.leaves_state(filing=filing, name=name) or services.permission_problem(
            filing=filing, name=name, user=user
        ):
            continue
        problems = services.transition_problems(filing=filing, name=name)
        form = (bound or {}).get(name) or FORMS[name](user=user, filing=filing, prefix=name)
        actions.append(
            Action(
                name=name,
                label=services.transition_label(name),
                form=form,
                problems=problems,
                by_reviewer=name in services.REVIEWER_TRANSITIONS,
            )
        )
    return actions


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def filing_history(*, filing: Filing) -> list[HistoryEntry]:
    """Every step of the account, oldest first: its creation, then each logged transition."""
    account = filing.account
    entries = [
        HistoryEntry(
            when=account.created_at,
            who=_who(account.created_by),
            action=str(services.CREATED_LABEL),
            source="",
            target=Filing.State.DRAFT.label,
            comment="",
        )
    ]
    for log in StateLog.objects.for_(filing).select_related("by").order_by("timestamp", "pk"):
        entries.append(
            HistoryEntry(
                when=log.timestamp,
                who=_who(log.by),
                action=services.transition_label(log.transition),
                source=Filing.State(log.source_state).label if log.source_state else "",
                target=Filing.State(log.state).label,
                comment=log.description or "",
            )
        )
    return entries


def state_counts(*, user) -> list[tuple[str, str, int]]:
    """How many of the user's visible accounts are in each state, every state listed."""
    counts = dict(
        Filing.objects.for_user(user)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [(state.value, state.label, counts.get(state.value, 0)) for state in Filing.State]


def _last_comment(transition: str):
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Filing),
        object_id=OuterRef("filing__pk"),
        transition=transition,
    ).order_by("-timestamp", "-pk")
    return Subquery(logs.values("description")[:1])


def filer_todo(*, user, limit: int = 10) -> dict[str, list[Account]]:
    """What a filer must do now: returned accounts (with the reviewer's comment), drafts, and
    closures to report done."""
    rows = account_rows(user=user).order_by("filing__state_changed_at")
    return {
        "returned": list(
            rows.filter(filing__state=Filing.State.RETURNED).annotate(
                return_comment=_last_comment("return_for_revision")
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


def reviewer_todo(*, user, limit: int = 10) -> dict[str, list[Account]]:
    """What a reviewer must do now: the oldest submissions, and closures reported done."""
    rows = account_rows(user=user).order_by("filing__state_changed_at")
    return {
        "submitted": list(rows.filter(filing__state=Filing.State.SUBMITTED)[:limit]),
        "to_confirm": list(
            rows.filter(
                filing__state=Filing.State.CLOSING,
                filing__closure_reported_at__isnull=False,
            )[:limit]
        ),
    }


def review_queue(*, user):
    """Submitted accounts, oldest first: the reviewer's queue."""
    return (
        account_rows(user=user)
        .filter(filing__state=Filing.State.SUBMITTED)
        .order_by("filing__state_changed_at", "pk")
    )


def active_campaign() -> Campaign | None:
    """The campaign now running, if any."""
    return Campaign.objects.filter(is_active=True).first()
