"""The campaign (专项行动) and its deadline, and each department's return (登记表报送) to it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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


class CampaignKind(models.TextChoices):
    # 专项清理: every department files its accounts and hands in the stamped form.
    FILING = "filing", _("Clean-up and registration")
    # 年审: every department confirms each account it keeps (approvals/models/annual.py).
    ANNUAL_REVIEW = "annual_review", _("Annual review")


class Campaign(models.Model):
    """A clean-up campaign (专项行动) or an annual review (年审), with its deadline; one is
    active at a time."""

    Kind = CampaignKind

    kind = models.CharField(
        _("kind"), max_length=20, choices=CampaignKind.choices, default=CampaignKind.FILING
    )
    title = models.CharField(pgettext_lazy("a campaign", "title"), max_length=200)
    document_number = models.CharField(_("authority document number"), max_length=100, blank=True)
    starts_on = models.DateField(_("start date"))
    deadline = models.DateField(_("deadline"))
    reminder_days = models.JSONField(
        _("reminder days"),
        default=default_milestones,
        help_text=_("Days before the deadline on which late departments are reminded."),
    )
    office_email = models.EmailField(_("office mailbox"), blank=True)
    is_active = models.BooleanField(pgettext_lazy("a campaign", "active"), default=False)
    summary_published = models.BooleanField(
        _("summary published"),
        default=False,
        help_text=_(
            "Anyone with the link may open the campaign's summary (totals only, no personal "
            "data), without logging in."
        ),
    )
    refuse_blocked_hand_in = models.BooleanField(
        _("refuse a hand-in with blocking findings"),
        default=False,
        help_text=_(
            "Refuse a department's hand-in while any of its accounts has an open blocking "
            "finding; otherwise the department hands in with a stated reason."
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
                condition=Q(kind__in=CampaignKind.values), name="approvals_campaign_kind_valid"
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

    @property
    def is_annual_review(self) -> bool:
        return self.kind == CampaignKind.ANNUAL_REVIEW

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


SCAN_MISSING = _(
    "The scan of the registration form with the department's seal is not uploaded yet."
)
ACCOUNTS_OPEN = _("%(count)d accounts are still drafts or returned: submit them before handing in.")
UNCHANGED = _("Nothing has changed since the last hand-in: there is nothing new to hand in.")
CHANGED_SINCE = _(
    "The accounts changed after the hand-in: hand in again, then upload the scan of the new form."
)
BLOCKED = _(
    "%(count)d open blocking findings: this campaign refuses a hand-in until they are resolved."
)


def open_blocking_findings(department_id: int) -> int:
    """How many open blocking findings the department's accounts have."""
    from cleanup.models import Finding, Severity

    return (
        Finding.objects.open()
        .filter(account__department_id=department_id, severity=Severity.BLOCKING)
        .count()
    )


def hand_in_problems(department_return: "DepartmentReturn") -> list[str]:
    """Why the department cannot hand in now: open accounts, blocking findings the campaign
    refuses, or (handing in again) nothing changed since the last hand-in."""
    from ..snapshots import rows_hash

    problems = []
    department_id = department_return.department_id
    open_accounts = Filing.objects.filter(
        account__department_id=department_id, state__in=Filing.EDITABLE_STATES
    ).count()
    if open_accounts:
        problems.append(ACCOUNTS_OPEN % {"count": open_accounts})
    if department_return.campaign.refuse_blocked_hand_in:
        if blocking := open_blocking_findings(department_id):
            problems.append(BLOCKED % {"count": blocking})
    latest = department_return.latest_snapshot()
    if (
        department_return.state in (ReturnState.HANDED_IN, ReturnState.ACCEPTED)
        and latest is not None
        and latest.content_hash == rows_hash(department_return.current_rows())
    ):
        problems.append(str(UNCHANGED))
    return problems


def scan_problems(department_return: "DepartmentReturn") -> list[str]:
    """Why the scan cannot be uploaded: the form changed after the hand-in."""
    from ..snapshots import rows_hash

    latest = department_return.latest_snapshot()
    if latest is None or latest.content_hash != rows_hash(department_return.current_rows()):
        return [str(CHANGED_SINCE)]
    return []


def accept_problems(department_return: "DepartmentReturn") -> list[str]:
    """Why the return cannot be accepted: no stamped scan of the form handed in."""
    return [] if department_return.scan else [str(SCAN_MISSING)]


SCAN_REQUIRED = _("Choose the scan of the stamped registration form (PDF, JPG or PNG).")
REASON_REQUIRED = _("Say what the department must change: a reason is required to send it back.")


def _set_scan(department_return: "DepartmentReturn", *, by, comment, scan):
    department_return.scan.name = scan
    department_return.scan_uploaded_at = timezone.now()


def _set_handed_in(department_return: "DepartmentReturn", *, by, comment, reason: str = ""):
    # Kept on the object for the step's ``after``, which stores it with the form.
    department_return.hand_in_reason = reason
    department_return.handed_in_at = timezone.now()
    department_return.handed_in_by = by
    # The scan stamps one hand-in's form: a new hand-in needs its own.
    department_return.scan.name = ""
    department_return.scan_uploaded_at = None


_R = ReturnState
HAND_IN = ("hand_in_return", _("Can upload the stamped form and hand in the return"))
REVIEW = ("review_return", _("Can accept or send back a return"))

# Every step of a department return, in the order pages offer them: the hand-in stores the form
# as sent (a snapshot), then the scan of that form, stamped, is uploaded.
RETURN_STEPS = Machine(
    steps=[
        Step(
            name="upload_scan",
            label=_("Upload the stamped form"),
            # Not a change of state: the stamp on the form that was handed in.
            sources=(_R.HANDED_IN,),
            target=_R.HANDED_IN,
            permission=HAND_IN,
            actor=Actor.FILER,
            guard=scan_problems,
            form="approvals.return_forms.SnapshotScanForm",
            # The hand-in whose form was stamped: a scan of an older one is refused.
            arguments="approvals.services.returns.scan_arguments",
            after="approvals.services.returns.return_scan_recorded",
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
            # Again after a change, even once accepted: the office gets the new form.
            sources=(_R.NOT_STARTED, _R.IN_PROGRESS, _R.RETURNED, _R.HANDED_IN, _R.ACCEPTED),
            target=_R.HANDED_IN,
            permission=HAND_IN,
            actor=Actor.FILER,
            guard=hand_in_problems,
            change=_set_handed_in,
            form="approvals.return_forms.HandInForm",
            # With blocking findings open, the reason the department hands in with them.
            arguments="approvals.services.returns.hand_in_arguments",
            notify=Audience.REVIEWERS,
            # The form stored as sent, and its electronic copy to the office mailbox.
            after="approvals.services.returns.return_handed_in",
        ),
        Step(
            name="accept",
            label=_("Accept"),
            sources=(_R.HANDED_IN,),
            target=_R.ACCEPTED,
            permission=REVIEW,
            actor=Actor.REVIEWER,
            guard=accept_problems,
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
            # The stamped scan comes after the hand-in, for the form that was handed in.
            models.CheckConstraint(
                condition=~Q(state__in=["handed_in", "accepted"]) | Q(handed_in_at__isnull=False),
                name="approvals_return_handed_in_at",
            ),
            models.CheckConstraint(
                condition=~Q(state="accepted") | ~Q(scan=""),
                name="approvals_return_accepted_with_scan",
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

    def latest_snapshot(self) -> "ReturnSnapshot | None":
        """The form as last handed in (read once per object)."""
        if not hasattr(self, "_latest_snapshot"):
            self._latest_snapshot = self.snapshots.order_by("-number").first() if self.pk else None
        return self._latest_snapshot

    def current_rows(self) -> dict[str, list[str]]:
        """The department's form as it is now, row by row (read once per object)."""
        if not hasattr(self, "_current_rows"):
            from ..services.exports import form_accounts
            from ..snapshots import form_rows

            self._current_rows = form_rows(form_accounts(department=self.department))
        return self._current_rows

    def forget(self) -> None:
        """Drop what was read once, after a step that changes it."""
        for name in ("_latest_snapshot", "_current_rows"):
            self.__dict__.pop(name, None)


def snapshot_upload_to(instance: "ReturnSnapshot", filename: str) -> str:
    return f"returns/snapshots/{instance.department_return_id}/{filename}"


class ReturnSnapshot(models.Model):
    """The registration form exactly as a department handed it in: the xlsx and PDF sent to the
    office, the rows they hold and their hash, the stamped scan of it, and the reason given for
    handing in with blocking findings open."""

    department_return = models.ForeignKey(
        DepartmentReturn,
        on_delete=models.CASCADE,
        related_name="snapshots",
        verbose_name=_("department return"),
    )
    number = models.PositiveIntegerField(_("hand-in number"))
    taken_at = models.DateTimeField(_("handed in at"), default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed in by"),
    )
    content_hash = models.CharField(_("content hash"), max_length=64)
    rows = models.JSONField(_("rows"), default=dict, blank=True)
    xlsx = models.FileField(_("form (xlsx)"), upload_to=snapshot_upload_to)
    pdf = models.FileField(_("form (PDF)"), upload_to=snapshot_upload_to)
    blocking_findings = models.PositiveIntegerField(_("open blocking findings"), default=0)
    blocking_reason = models.TextField(
        _("reason for handing in with blocking findings"), blank=True
    )
    scan = models.FileField(_("stamped form"), blank=True)
    scan_uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)

    class Meta:
        ordering = ["department_return", "-number"]
        verbose_name = _("hand-in snapshot")
        verbose_name_plural = _("hand-in snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["department_return", "number"], name="approvals_snapshot_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(blocking_findings=0) | ~Q(blocking_reason=""),
                name="approvals_snapshot_blocked_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.department_return} #{self.number}"

    @property
    def check_code(self) -> str:
        """The hash's first characters, printed on the form to tie the scan to it."""
        return self.content_hash[:12]
