"""Steps that wait too long climb (催办): after NEWMEDIA_ESCALATE_AFTER_DAYS working days at a
step, its assignees are reminded once a day; after NEWMEDIA_ESCALATE_TO_LEADERS_AFTER_DAYS the
daily digest of such filings goes to the signing leaders as well.

Who the assignees are follows the step: a submission's reviewer it was handed to, else every
reviewer; a filing awaiting sign-off, whoever holds a signature still owed at its level; and for
anyone away, the colleague acting for them (``LeaveDelegation``). Each
reminder is an ``EscalationLog`` row (one per filing, day and recipient, a unique constraint)
written with its notification in one transaction per recipient, so a rerun, a retry or a second
worker sends nothing twice.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from registry.roles import LEADER_GROUP
from robots.models import Robot

from ..models import EscalationLog, Filing, acting_for
from ..models.filing import signature_holder
from .notifications import (
    notification_build,
    notifications_create,
    reviewers,
    robots_tell,
    site_link,
)

WAITING_STATES = (Filing.State.SUBMITTED, Filing.State.AWAITING_SIGNOFF)


def working_days_before(day: date, days: int) -> date:
    """The day ``days`` working days (Monday to Friday) before ``day``."""
    while days:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def waiting_since(*, today: date, days: int):
    """Filings that have waited at a step for more than ``days`` working days by ``today``."""
    start = datetime.combine(working_days_before(today, days), time.min)
    return Filing.objects.filter(
        state__in=WAITING_STATES,
        state_changed_at__lt=timezone.make_aware(start),
    ).select_related("account__department", "signoff_group", "assignee")


def _assignees(filing: Filing, all_reviewers: list, away: dict[int, int]) -> list[int]:
    """Whose the filing's step is now (ids), whoever acts for them while they are away."""
    if filing.state == Filing.State.AWAITING_SIGNOFF:
        return list(filing.pending_signer_ids())  # already resolved for leave
    ids = [filing.assignee_id] if filing.assignee_id else [u.pk for u in all_reviewers]
    return list(dict.fromkeys(signature_holder(pk, away) for pk in ids))


@dataclass
class EscalationSummary:
    reminded: int = 0  # notifications to assignees
    digests: int = 0  # digests to leaders
    skipped: int = 0  # recipients already told today
    filings: set = field(default_factory=set)


def _context(filings: list[Filing]) -> dict:
    """What an escalation tells of its filings: each with its page, and the dashboard."""
    return {
        "filings": [
            {
                "account": str(f.account),
                "department": f.account.department.name,
                "state": f.get_state_display(),
                "since": timezone.localdate(f.state_changed_at),
                "link": site_link(f.get_absolute_url()),
            }
            for f in filings
        ],
        "link": site_link(reverse("approvals:dashboard")),
    }


def _send(*, recipient, filings: list[Filing], day: date, to_leader: bool, summary) -> None:
    """One notification to one recipient for the filings, with their log rows, or nothing at
    all if another run told them today."""
    template = "escalation_digest" if to_leader else "escalation"
    context = _context(filings)
    try:
        with transaction.atomic():
            [notification] = notifications_create(
                [notification_build(template=template, context=context, recipient=recipient)]
            )
            EscalationLog.objects.bulk_create(
                EscalationLog(
                    filing=f,
                    day=day,
                    recipient=recipient,
                    to_leader=to_leader,
                    notification=notification,
                )
                for f in filings
            )
    except IntegrityError:
        summary.skipped += 1
        return
    summary.filings.update(f.pk for f in filings)
    if to_leader:
        summary.digests += 1
    else:
        summary.reminded += 1


def escalations_send(*, today: date | None = None) -> EscalationSummary:
    """Remind the assignees of every filing waiting too long, and send the leaders' digest."""
    today = today or timezone.localdate()
    summary = EscalationSummary()
    told = set(EscalationLog.objects.filter(day=today).values_list("filing_id", "recipient_id"))
    all_reviewers = list(reviewers())
    away = acting_for(today)
    owed: dict = {}
    for filing in waiting_since(today=today, days=settings.NEWMEDIA_ESCALATE_AFTER_DAYS):
        for pk in _assignees(filing, all_reviewers, away):
            if (filing.pk, pk) not in told:
                owed.setdefault(pk, []).append(filing)
    users = get_user_model().objects.in_bulk(list(owed))
    for pk, filings in owed.items():
        _send(recipient=users[pk], filings=filings, day=today, to_leader=False, summary=summary)
    if owed:  # the reviewers' group robots: the day's list, once
        waiting = {f.pk: f for filings in owed.values() for f in filings}
        told = notification_build(
            template="escalation", context=_context(sorted(waiting.values(), key=lambda f: f.pk))
        )
        robots_tell([(Robot.objects.for_department(None), told, f"escalation:{today}")])
    late = list(waiting_since(today=today, days=settings.NEWMEDIA_ESCALATE_TO_LEADERS_AFTER_DAYS))
    if late:
        # A leader who was just reminded of a filing as its signer is not told of it again.
        told = set(EscalationLog.objects.filter(day=today).values_list("filing_id", "recipient_id"))
        leaders = get_user_model().objects.filter(groups__name=LEADER_GROUP, is_active=True)
        for leader in leaders:
            filings = [f for f in late if (f.pk, leader.pk) not in told]
            if filings:
                _send(recipient=leader, filings=filings, day=today, to_leader=True, summary=summary)
    return summary


def escalated_count(*, today: date | None = None) -> int:
    """How many filings have waited longer than their assignees should let them: the command
    centre's figure."""
    today = today or timezone.localdate()
    return waiting_since(today=today, days=settings.NEWMEDIA_ESCALATE_AFTER_DAYS).count()
