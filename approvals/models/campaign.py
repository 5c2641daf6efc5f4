"""The campaign (专项行动) and its deadline, and each department's return (登记表报送) to it."""

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
from .filing import Filing
from .steps import Actor, Audience, Machine, Step, Upload

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


SCAN_REQUIRED = _("Choose the scan of the stamped registration form (PDF, JPG or PNG).")
REASON_REQUIRED = _("Say what the department must change: a reason is required to send it back.")


def _set_scan(department_return: "DepartmentReturn", *, by, comment, scan):
    department_return.scan.name = scan
    department_return.scan_uploaded_at = timezone.now()


def _set_handed_in(department_return: "DepartmentReturn", *, by, comment):
    department_return.handed_in_at = timezone.now()
    department_return.handed_in_by = by


_R = ReturnState
HAND_IN = ("hand_in_return", _("Can upload the stamped form and hand in the return"))
REVIEW = ("review_return", _("Can accept or send back a return"))

# Every step of a department return, in the order pages offer them (uploading the scan is one).
RETURN_STEPS = Machine(
    steps=[
        Step(
            name="upload_scan",
            label=_("Upload the stamped form"),
            sources=(_R.NOT_STARTED, _R.IN_PROGRESS, _R.RETURNED),
            target=_R.IN_PROGRESS,
            permission=HAND_IN,
            actor=Actor.FILER,
            form="approvals.forms.ScanUploadForm",
            upload=Upload(
                field="scan",
                kinds=("pdf", "png", "jpeg"),
                max_bytes_setting="NEWMEDIA_SCAN_MAX_BYTES",
                folder="returns",
                required=SCAN_REQUIRED,
            ),
            change=_set_scan,
        ),
        Step(
            name="hand_in",
            label=_("Hand in"),
            sources=(_R.IN_PROGRESS, _R.RETURNED),
            target=_R.HANDED_IN,
            permission=HAND_IN,
            actor=Actor.FILER,
            guard=hand_in_problems,
            change=_set_handed_in,
            notify=Audience.REVIEWERS,
            # The electronic copy goes to the office mailbox.
            after="approvals.services.returns.return_copy_owed",
        ),
        Step(
            name="accept",
            label=_("Accept"),
            sources=(_R.HANDED_IN,),
            target=_R.ACCEPTED,
            permission=REVIEW,
            actor=Actor.REVIEWER,
            notify=Audience.FILERS,
        ),
        Step(
            name="send_back",
            label=_("Send back"),
            sources=(_R.HANDED_IN,),
            target=_R.RETURNED,
            permission=REVIEW,
            actor=Actor.REVIEWER,
            form="approvals.forms.SendBackForm",
            comment_required=REASON_REQUIRED,
            notify=Audience.FILERS,
        ),
    ],
)


class DepartmentReturn(RETURN_STEPS.transitions(), ConcurrentTransitionMixin, models.Model):
    """A department's return to a campaign: its stamped registration form, handed in on time."""

    State = ReturnState
    machine = RETURN_STEPS

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
    # Set by the task before it sends, in a transaction of its own (as a notification's claim):
    # a claim younger than NEWMEDIA_OUTBOX_REQUEUE_SECONDS means a send began and may have gone.
    copy_claimed_at = models.DateTimeField(_("electronic copy claimed at"), null=True, blank=True)

    objects = DepartmentReturnQuerySet.as_manager()

    class Meta:
        verbose_name = _("department return")
        verbose_name_plural = _("department returns")
        permissions = RETURN_STEPS.permissions()
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
