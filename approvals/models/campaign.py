"""The campaign (专项行动) and its deadline, and each department's return (登记表报送) to it."""

from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from registry.models import Department

from ..querysets import DepartmentReturnQuerySet
from .filing import Filing, filer_may, logged_transition, reviewer_may

DEFAULT_MILESTONES = [7, 3, 1, 0]

MILESTONES_INVALID = _(
    "Reminder days are whole numbers of days before the deadline, 0 meaning the day itself, "
    "for example 7, 3, 1, 0."
)


def default_milestones() -> list[int]:
    return list(DEFAULT_MILESTONES)


class Campaign(models.Model):
    """A clean-up campaign (专项行动) with its deadline; one is active at a time."""

    title = models.CharField(_("title"), max_length=200)
    document_number = models.CharField(_("authority document number"), max_length=100, blank=True)
    starts_on = models.DateField(_("start date"))
    deadline = models.DateField(_("deadline"))
    reminder_days = models.JSONField(
        _("reminder days"),
        default=default_milestones,
        help_text=_("Days before the deadline on which late departments are reminded."),
    )
    office_email = models.EmailField(_("office mailbox"), blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    summary_published = models.BooleanField(
        _("summary published"),
        default=False,
        help_text=_(
            "Anyone with the link may open the campaign's summary (totals only, no personal "
            "data), without logging in."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-deadline"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="approvals_campaign_one_active",
                violation_error_message=_("Another campaign is already active: end it first."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("starts_on")),
                name="approvals_campaign_deadline_after_start",
                violation_error_message=_("The deadline cannot be before the start date."),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        days = self.reminder_days
        if (
            not isinstance(days, list)
            or not days
            or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 366 for d in days
            )
        ):
            raise ValidationError({"reminder_days": MILESTONES_INVALID})
        self.reminder_days = sorted(set(days), reverse=True)

    def days_left(self, today=None) -> int:
        """Whole days from today to the deadline (negative once it has passed)."""
        today = today or timezone.localdate()
        return (self.deadline - today).days


class ReturnState(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    HANDED_IN = "handed_in", _("Handed in")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned to the department")


RETURN_LABELS = {
    "upload_scan": _("Upload the stamped form"),
    "hand_in": _("Hand in"),
    "accept": _("Accept"),
    "send_back": _("Send back"),
}

SCAN_MISSING = _("Upload the scan of the registration form with the department's seal first.")
ACCOUNTS_OPEN = _("%(count)d accounts are still drafts or returned: submit them before handing in.")


def hand_in_problems(department_return: "DepartmentReturn") -> list[str]:
    """Why the department cannot hand in yet: open accounts, or no stamped scan."""
    problems = []
    open_accounts = Filing.objects.filter(
        account__department_id=department_return.department_id,
        state__in=Filing.EDITABLE_STATES,
    ).count()
    if open_accounts:
        problems.append(ACCOUNTS_OPEN % {"count": open_accounts})
    if not department_return.scan:
        problems.append(str(SCAN_MISSING))
    return problems


RETURN_GUARDS = {"hand_in": hand_in_problems}


class DepartmentReturn(ConcurrentTransitionMixin, models.Model):
    """A department's return to a campaign: its stamped registration form, handed in on time."""

    State = ReturnState
    STEP_LABELS = RETURN_LABELS
    STEP_GUARDS = RETURN_GUARDS
    REVIEWER_STEPS = frozenset({"accept", "send_back"})
    NOTIFY_REVIEWERS = frozenset({"hand_in"})
    NOTIFY_FILERS = frozenset({"accept", "send_back"})

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="returns", verbose_name=_("campaign")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="returns", verbose_name=_("department")
    )
    state = FSMField(
        _("state"),
        default=ReturnState.NOT_STARTED,
        choices=ReturnState.choices,
        protected=True,
        db_index=True,
    )
    state_changed_at = models.DateTimeField(_("in this state since"), default=timezone.now)
    # Stored by the service under a generated name; served only through a permission-checked view.
    scan = models.FileField(_("stamped form"), blank=True)
    scan_uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    handed_in_at = models.DateTimeField(_("handed in at"), null=True, blank=True)
    handed_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed in by"),
    )
    # When the electronic copy reached the office mailbox; set once, by the task that sends it.
    copy_sent_at = models.DateTimeField(_("electronic copy sent at"), null=True, blank=True)

    objects = DepartmentReturnQuerySet.as_manager()

    class Meta:
        verbose_name = _("department return")
        verbose_name_plural = _("department returns")
        permissions = [
            ("hand_in_return", _("Can upload the stamped form and hand in the return")),
            ("review_return", _("Can accept or send back a return")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "department"], name="approvals_return_one_per_department"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReturnState.values), name="approvals_return_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["handed_in", "accepted"])
                | (Q(handed_in_at__isnull=False) & ~Q(scan="")),
                name="approvals_return_handed_in_with_scan",
            ),
        ]

    def __str__(self):
        return f"{self.department}：{self.campaign}"

    def get_absolute_url(self):
        return reverse("approvals:return_detail", args=[self.pk])

    def owning_department(self):
        return self.department

    def audited_object(self):
        return self

    @logged_transition(
        source=[ReturnState.NOT_STARTED, ReturnState.IN_PROGRESS, ReturnState.RETURNED],
        target=ReturnState.IN_PROGRESS,
        permission=filer_may("hand_in_return", attrgetter("department_id")),
        labels=RETURN_LABELS,
        guards=RETURN_GUARDS,
    )
    def upload_scan(self, scan_name="", by=None, description=None):
        self.scan.name = scan_name
        self.scan_uploaded_at = timezone.now()

    @logged_transition(
        source=[ReturnState.IN_PROGRESS, ReturnState.RETURNED],
        target=ReturnState.HANDED_IN,
        permission=filer_may("hand_in_return", attrgetter("department_id")),
        labels=RETURN_LABELS,
        guards=RETURN_GUARDS,
    )
    def hand_in(self, by=None, description=None):
        self.handed_in_at = timezone.now()
        self.handed_in_by = by

    @logged_transition(
        source=ReturnState.HANDED_IN,
        target=ReturnState.ACCEPTED,
        permission=reviewer_may("review_return"),
        labels=RETURN_LABELS,
        guards=RETURN_GUARDS,
    )
    def accept(self, by=None, description=None):
        pass

    @logged_transition(
        source=ReturnState.HANDED_IN,
        target=ReturnState.RETURNED,
        permission=reviewer_may("review_return"),
        labels=RETURN_LABELS,
        guards=RETURN_GUARDS,
    )
    def send_back(self, by=None, description=None):
        pass
