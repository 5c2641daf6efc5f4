"""The approval state of each account: its filing, and the transitions that move it.

The transitions below only change fields; ``approvals.services`` calls them, checks the
permission and the guard, saves and logs inside one transaction.
"""

from operator import attrgetter

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from cleanup import selectors as cleanup_selectors
from registry import roles
from registry.models import Account

from ..querysets import FilingQuerySet

CLOSURE_KINDS = [(value, label) for value, label in Account.Disposition.choices if value != "keep"]

# What buttons, messages and the history call each transition.
TRANSITION_LABELS = {
    "submit": _("Submit"),
    "return_for_revision": _("Return for revision"),
    "approve": _("Approve"),
    "register": _("Register"),
    "order_closure": _("Order closure"),
    "request_closure": _("Request closure"),
    "report_closed": _("Report closure done"),
    "confirm_closed": _("Confirm closed"),
}

# Guard messages, reused by the tests.
COMMENT_REQUIRED = _("Say what the filer must change: a comment is required to return an account.")
MISSING_FIELDS = _("Fill in before submitting: %(fields)s.")
RULES_NOT_ACKNOWLEDGED = _(
    "The owner and the content reviewer must acknowledge the content rules (R6)."
)
NOT_SCHOOL_LEVEL = _(
    "Only accounts built in the school's name need approval (R2): register this one instead."
)
NOT_DEPARTMENT_LEVEL = _(
    "Accounts built in the school's name need approval, not registration (R2)."
)
NOT_KEEP = _("The proposed disposition is “%(disposition)s”, not keep: order a closure instead.")
FORBIDDEN_NAME = _(
    "The name matches the forbidden pattern “%(pattern)s” (R1): no account may be built in the "
    "name of the provincial Department of Finance."
)
NOT_REPORTED = _("The filer has not yet reported the closure done with a screenshot.")


def submit_problems(filing: "Filing") -> list[str]:
    """Why the account cannot be submitted yet: missing columns, or R6 not acknowledged."""
    account = filing.account
    problems = []
    if missing := account.missing_for_submission():
        problems.append(MISSING_FIELDS % {"fields": "、".join(missing)})
    if not account.rules_acknowledged:
        problems.append(str(RULES_NOT_ACKNOWLEDGED))
    return problems


def _retention_problems(filing: "Filing", *, school_level: bool) -> list[str]:
    account = filing.account
    problems = []
    if account.needs_approval != school_level:
        problems.append(str(NOT_SCHOOL_LEVEL if school_level else NOT_DEPARTMENT_LEVEL))
    if account.disposition != Account.Disposition.KEEP:
        problems.append(NOT_KEEP % {"disposition": account.get_disposition_display()})
    if pattern := account.forbidden_pattern:
        problems.append(FORBIDDEN_NAME % {"pattern": pattern})
    # The other blocking clean-up findings, as last evaluated (every edit re-evaluates). R1 is
    # read from the name itself above, so a changed pattern list counts at once.
    problems.extend(
        cleanup_selectors.blocking_explanations(
            account_id=account.pk, exclude_rules=frozenset({"forbidden_name"})
        )
    )
    return problems


def approve_problems(filing: "Filing") -> list[str]:
    """Why the account cannot be approved: not school-level, not kept, or a blocking finding."""
    return _retention_problems(filing, school_level=True)


def register_problems(filing: "Filing") -> list[str]:
    """Why the account cannot be registered: school-level, not kept, or a blocking finding."""
    return _retention_problems(filing, school_level=False)


def confirm_closed_problems(filing: "Filing") -> list[str]:
    """Why the closure cannot be confirmed: the filer has not reported it done."""
    return [] if filing.closure_reported_at else [str(NOT_REPORTED)]


# What each transition's guard checks; transitions without an entry have no guard on the record
# (their arguments are checked by the service).
GUARDS = {
    "submit": submit_problems,
    "approve": approve_problems,
    "register": register_problems,
    "confirm_closed": confirm_closed_problems,
}


def reviewer_may(codename: str):
    """A reviewer's transition: the permission alone decides."""
    return lambda instance, user: user.has_perm(f"approvals.{codename}")


def filer_may(codename: str, department_id=attrgetter("account.department_id")):
    """A filer's transition: the permission, and only on the filer's own department."""
    return lambda instance, user: (
        user.has_perm(f"approvals.{codename}") and roles.is_filer_of(user, department_id(instance))
    )


def logged_transition(*, source, target, permission, labels=None, guards=None):
    """A transition of ``state`` whose log row records who took it (``by=``) and the comment
    (``description=``); its label and its guard are looked up by the method's name."""
    labels = TRANSITION_LABELS if labels is None else labels
    guards = GUARDS if guards is None else guards

    def decorate(method):
        name = method.__name__
        guard = guards.get(name)
        fsm = transition(
            field="state",
            source=source,
            target=target,
            permission=permission,
            conditions=[lambda instance: not guard(instance)] if guard else [],
            custom={"label": labels[name]},
        )
        # django-fsm-log records ``by`` only when fsm_log_by wraps the transition, not under it.
        return fsm_log_by(fsm_log_description(fsm(method)))

    return decorate


class FilingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    REGISTERED = "registered", _("Registered")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", _("Closed")


class Filing(ConcurrentTransitionMixin, models.Model):
    """The approval record (备案申报) of one account: its state and any closure."""

    State = FilingState

    # What the transition services need to know of this state machine (approvals/services).
    STEP_LABELS = TRANSITION_LABELS
    STEP_GUARDS = GUARDS
    REVIEWER_STEPS = frozenset(
        {"return_for_revision", "approve", "register", "order_closure", "confirm_closed"}
    )
    # Who hears of each step (approvals.services.notifications.step_notify).
    NOTIFY_REVIEWERS = frozenset({"submit"})
    NOTIFY_FILERS = frozenset({"return_for_revision", "approve", "register", "order_closure"})
    EDITABLE_STATES = frozenset({State.DRAFT, State.RETURNED})
    RETAINED_STATES = frozenset({State.APPROVED, State.REGISTERED})

    account = models.OneToOneField(
        Account,
        on_delete=models.PROTECT,
        related_name="filing",
        verbose_name=_("account"),
    )
    state = FSMField(
        _("state"),
        default=State.DRAFT,
        choices=State.choices,
        protected=True,
        db_index=True,
    )
    state_changed_at = models.DateTimeField(_("in this state since"), default=timezone.now)
    closure_kind = models.CharField(
        _("closure kind"), max_length=20, choices=CLOSURE_KINDS, blank=True
    )
    closure_reason = models.CharField(_("closure reason"), max_length=500, blank=True)
    closure_merge_into = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merge into"),
    )
    # Stored by the service under a generated name; served only through a permission-checked view.
    closure_evidence = models.FileField(_("closure evidence"), blank=True)
    closure_reported_at = models.DateTimeField(_("closure reported at"), null=True, blank=True)

    objects = FilingQuerySet.as_manager()

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        permissions = [
            ("submit_filing", _("Can submit a filing")),
            ("return_filing", _("Can return a filing for revision")),
            ("approve_filing", _("Can approve a filing")),
            ("register_filing", _("Can register a filing")),
            ("order_closure_filing", _("Can order a closure")),
            ("request_closure_filing", _("Can request a closure")),
            ("report_closed_filing", _("Can report a closure done")),
            ("confirm_closed_filing", _("Can confirm a closure")),
        ]
        indexes = [
            # The queues (submissions and closures, oldest first) read a few rows of one state
            # in order, however many accounts there are, rather than sorting every row of it.
            models.Index(fields=["state", "state_changed_at"], name="approvals_filing_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=FilingState.values),
                name="approvals_filing_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(closure_kind="") | Q(closure_kind__in=[k for k, _l in CLOSURE_KINDS]),
                name="approvals_filing_closure_kind_valid",
            ),
            # A closure always says what kind and why.
            models.CheckConstraint(
                condition=~Q(state__in=["closing", "closed"])
                | (~Q(closure_kind="") & ~Q(closure_reason="")),
                name="approvals_filing_closure_has_kind_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(closure_kind="merge", closure_merge_into__isnull=False)
                | (~Q(closure_kind="merge") & Q(closure_merge_into__isnull=True)),
                name="approvals_filing_merge_names_survivor",
            ),
            models.CheckConstraint(
                condition=~Q(closure_merge_into=F("account")),
                name="approvals_filing_not_merged_into_itself",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closure_reported_at__isnull=False),
                name="approvals_filing_closed_was_reported",
            ),
        ]

    def __str__(self):
        return f"{self.account}：{self.get_state_display()}"

    def get_absolute_url(self):
        return reverse("approvals:account_detail", args=[self.account_id])

    def owning_department(self):
        return self.account.department

    def audited_object(self):
        return self.account

    @property
    def is_editable(self) -> bool:
        """The filer may still change the account's facts."""
        return self.state in self.EDITABLE_STATES

    # Transitions. Each only changes fields; see approvals.services for the rest.

    @logged_transition(
        source=[State.DRAFT, State.RETURNED],
        target=State.SUBMITTED,
        permission=filer_may("submit_filing"),
    )
    def submit(self, by=None, description=None):
        pass

    @logged_transition(
        source=State.SUBMITTED, target=State.RETURNED, permission=reviewer_may("return_filing")
    )
    def return_for_revision(self, by=None, description=None):
        pass

    @logged_transition(
        source=State.SUBMITTED, target=State.APPROVED, permission=reviewer_may("approve_filing")
    )
    def approve(self, by=None, description=None):
        pass

    @logged_transition(
        source=State.SUBMITTED, target=State.REGISTERED, permission=reviewer_may("register_filing")
    )
    def register(self, by=None, description=None):
        pass

    @logged_transition(
        source=[State.SUBMITTED, State.APPROVED, State.REGISTERED],
        target=State.CLOSING,
        permission=reviewer_may("order_closure_filing"),
    )
    def order_closure(self, kind="", reason="", merge_into=None, by=None, description=None):
        self._set_closure(kind, reason, merge_into)

    @logged_transition(
        source=[State.APPROVED, State.REGISTERED],
        target=State.CLOSING,
        permission=filer_may("request_closure_filing"),
    )
    def request_closure(self, kind="", reason="", merge_into=None, by=None, description=None):
        self._set_closure(kind, reason, merge_into)

    # Not a change of state: the filer's report that the closure is done, logged like one.
    @logged_transition(
        source=State.CLOSING, target=State.CLOSING, permission=filer_may("report_closed_filing")
    )
    def report_closed(self, evidence_name="", by=None, description=None):
        self.closure_evidence.name = evidence_name
        self.closure_reported_at = timezone.now()

    @logged_transition(
        source=State.CLOSING, target=State.CLOSED, permission=reviewer_may("confirm_closed_filing")
    )
    def confirm_closed(self, by=None, description=None):
        pass

    def _set_closure(self, kind, reason, merge_into):
        self.closure_kind = kind
        self.closure_reason = reason
        self.closure_merge_into = merge_into
        self.closure_evidence.name = ""
        self.closure_reported_at = None
