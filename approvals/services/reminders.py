"""The daily reminder sweep: who is late for the active campaign, and what each is owed today.

Reminders are database facts: a ReminderLog row per (campaign, department, milestone, recipient)
under a unique constraint, written with its notification in one transaction that holds the
campaign's row, so two sweeps at once, a rerun or a retried task create each reminder once. A
sweep that dies after committing leaves notifications whose emails were not sent yet; every
sweep queues those still owed (unsent, and not queued within NEWMEDIA_OUTBOX_REQUEUE_SECONDS),
so the rerun sends exactly what is still owed and two sweeps never queue a mail twice. Beat runs
the sweep every hour of the working day, so a run lost with its worker is redone within the
hour. The sweep reads the
database instead of scheduling far-off tasks: nothing waits in the broker past its visibility
timeout.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry.models import Department
from robots.models import Robot

from ..models import (
    AnnualConfirmation,
    Campaign,
    DepartmentReturn,
    Filing,
    Notification,
    OverdueDigestLog,
    ReminderLog,
    ReturnState,
)
from .annual import confirmations_open
from .notifications import (
    notification_build,
    notification_emails_claim,
    notification_emails_publish,
    notifications_create,
    reviewers,
    robots_tell,
    site_link,
)

DONE_STATES = (ReturnState.HANDED_IN, ReturnState.ACCEPTED)


@dataclass
class DepartmentStatus:
    """Where a department stands in the campaign, and what it still owes, in words."""

    department: Department
    return_state: str
    open_accounts: int
    # In an annual review: its accounts not yet confirmed, and nothing else is owed.
    unconfirmed: int | None = None

    @property
    def missing(self) -> list[str]:
        if self.unconfirmed is not None:
            return (
                [
                    ngettext(
                        "%(count)d account is not yet confirmed in the annual review",
                        "%(count)d accounts are not yet confirmed in the annual review",
                        self.unconfirmed,
                    )
                    % {"count": self.unconfirmed}
                ]
                if self.unconfirmed
                else []
            )
        items = []
        if self.open_accounts:
            items.append(
                ngettext(
                    "%(count)d account is still a draft or returned",
                    "%(count)d accounts are still drafts or returned",
                    self.open_accounts,
                )
                % {"count": self.open_accounts}
            )
        if self.return_state not in DONE_STATES:
            items.append(_("the stamped registration form has not been handed in"))
        return items


@dataclass
class SweepResult:
    """What one sweep found and did, for the command's output and the task's result."""

    day: date
    campaign: Campaign | None = None
    milestone: int | None = None
    note: str = ""
    reminders: list[tuple[str, str, int]] = field(default_factory=list)  # department, user, days
    digests: list[str] = field(default_factory=list)  # reviewers
    late: list[str] = field(default_factory=list)  # departments, for the digest
    queued: int = 0

    def summary(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "milestone": self.milestone,
            "note": self.note,
            "reminders": len(self.reminders),
            "digests": len(self.digests),
            "queued": self.queued,
        }


def _working(day: date) -> bool:
    return settings.NEWMEDIA_REMIND_ON_WEEKENDS or day.weekday() < 5


def milestone_due(*, campaign: Campaign, today: date) -> int | None:
    """The milestone to remind at today, or None.

    It is the most urgent milestone whose day has come, counting the days until the next
    working day: a milestone on a Saturday or Sunday goes out on the Friday before, and one
    missed because the sweep did not run is caught up (only the latest, with the real days
    left). Reminders stop once the deadline has passed.
    """
    if today < campaign.starts_on or today > campaign.deadline:
        return None
    horizon = today
    while horizon < campaign.deadline and not _working(horizon + timedelta(days=1)):
        horizon += timedelta(days=1)
    due = [m for m in campaign.reminder_days if campaign.deadline - timedelta(days=m) <= horizon]
    return min(due) if due else None


def department_statuses(
    *, campaign: Campaign, departments=None, late_only: bool = True
) -> list[DepartmentStatus]:
    """Each department's return state and open accounts (of every department, or of the
    ``departments`` queryset), in one query; by default only the departments that still owe
    something."""
    if departments is None:
        departments = Department.objects.all()
    if campaign.is_annual_review:
        departments = departments.annotate(
            unconfirmed=Count(
                "accounts__annual_confirmations",
                filter=Q(
                    accounts__annual_confirmations__campaign=campaign,
                    accounts__annual_confirmations__state=AnnualConfirmation.State.PENDING,
                ),
            )
        ).order_by("code")
        if late_only:
            departments = departments.filter(unconfirmed__gt=0)
        return [
            DepartmentStatus(d, ReturnState.NOT_STARTED, 0, unconfirmed=d.unconfirmed)
            for d in departments
        ]
    returns = DepartmentReturn.objects.filter(campaign=campaign, department=OuterRef("pk"))
    departments = departments.annotate(
        return_state=Subquery(returns.values("state")[:1]),
        open_accounts=Count(
            "accounts", filter=Q(accounts__filing__state__in=list(Filing.EDITABLE_STATES))
        ),
    ).order_by("code")
    if late_only:
        departments = departments.filter(
            Q(return_state__isnull=True) | ~Q(return_state__in=DONE_STATES) | Q(open_accounts__gt=0)
        )
    return [
        DepartmentStatus(d, d.return_state or ReturnState.NOT_STARTED, d.open_accounts)
        for d in departments
    ]


def _queue_unsent(*, campaign: Campaign) -> int:
    """Queue the emails of this campaign's earlier reminders and digests still owed (unsent and
    not queued recently), once the sweep commits."""
    ids = notification_emails_claim(
        queryset=Notification.objects.filter(
            Q(pk__in=ReminderLog.objects.filter(campaign=campaign).values("notification"))
            | Q(pk__in=OverdueDigestLog.objects.filter(campaign=campaign).values("notification"))
        )
    )
    if ids:
        transaction.on_commit(lambda: notification_emails_publish(ids=ids), robust=True)
    return len(ids)


def _remind(result: SweepResult, *, campaign: Campaign, today: date, dry_run: bool) -> None:
    milestone = result.milestone
    statuses = {s.department.pk: s for s in department_statuses(campaign=campaign)}
    memberships = Department.filers.through.objects.filter(
        department_id__in=statuses, user__is_active=True
    ).select_related("user")
    already = set(
        ReminderLog.objects.filter(
            campaign=campaign, milestone=milestone, department_id__in=statuses
        ).values_list("department_id", "recipient_id")
    )
    owed = [m for m in memberships if (m.department_id, m.user_id) not in already]
    days_left = (campaign.deadline - today).days
    notifications = []
    for membership in owed:
        status = statuses[membership.department_id]
        result.reminders.append((status.department.name, membership.user.get_username(), days_left))
        context = {
            "campaign": campaign,
            "department": status.department.name,
            "days_left": days_left,
            "missing": status.missing,
            "link": site_link(reverse("approvals:dashboard")),
        }
        notifications.append(
            notification_build(template="reminder", context=context, recipient=membership.user)
        )
    if dry_run or not owed:
        return
    created = notifications_create(notifications)
    # Each department's group robots: the first of its filers' notifications, once.
    robots = Robot.objects.by_department(statuses)
    first = {}
    for membership, notification in zip(owed, created, strict=True):
        first.setdefault(membership.department_id, notification)
    robots_tell(
        (robots.get(pk, []), notification, f"reminder:{campaign.pk}:{milestone}:{pk}")
        for pk, notification in first.items()
    )
    ReminderLog.objects.bulk_create(
        ReminderLog(
            campaign=campaign,
            department_id=membership.department_id,
            milestone=milestone,
            recipient=membership.user,
            notification=notification,
        )
        for membership, notification in zip(owed, created, strict=True)
    )


def _digest(result: SweepResult, *, campaign: Campaign, today: date, dry_run: bool) -> None:
    statuses = department_statuses(campaign=campaign)
    result.late = [s.department.name for s in statuses]
    if not statuses:
        result.note = _("the deadline has passed and no department is late")
        return
    already = set(
        OverdueDigestLog.objects.filter(campaign=campaign, day=today).values_list(
            "recipient_id", flat=True
        )
    )
    owed = [user for user in reviewers() if user.pk not in already]
    result.digests = [user.get_username() for user in owed]
    context = {
        "campaign": campaign,
        "days_overdue": (today - campaign.deadline).days,
        "late": statuses,
        "link": site_link(reverse("approvals:dashboard")),
    }
    if dry_run or not owed:
        return
    created = notifications_create(
        [notification_build(template="overdue_digest", context=context, recipient=u) for u in owed]
    )
    robots_tell(
        [(Robot.objects.for_department(None), created[0], f"overdue:{campaign.pk}:{today}")]
    )
    OverdueDigestLog.objects.bulk_create(
        OverdueDigestLog(campaign=campaign, day=today, recipient=user, notification=notification)
        for user, notification in zip(owed, created, strict=True)
    )


def reminders_sweep(*, today: date | None = None, dry_run: bool = False) -> SweepResult:
    """Create today's reminders (or the overdue digest) for the active campaign, and queue every
    email of it still unsent. A dry run only reports what it would create."""
    today = today or timezone.localdate()
    result = SweepResult(day=today)
    with transaction.atomic():
        # The campaign's row is the sweep's lock: a second sweep waits here, then finds the
        # reminders the first one wrote.
        campaign = Campaign.objects.select_for_update().filter(is_active=True).first()
        result.campaign = campaign
        if campaign is None:
            result.note = _("no active campaign")
            return result
        if not dry_run:
            # An account registered while an annual review runs is asked about too.
            confirmations_open(campaign)
            # Before today's rows: those queue their own emails when the transaction commits.
            result.queued = _queue_unsent(campaign=campaign)
        if not _working(today):
            result.note = _("not a working day")
        elif today > campaign.deadline:
            _digest(result, campaign=campaign, today=today, dry_run=dry_run)
        elif (milestone := milestone_due(campaign=campaign, today=today)) is None:
            result.note = _("no milestone due")
        else:
            result.milestone = milestone
            _remind(result, campaign=campaign, today=today, dry_run=dry_run)
    return result
