"""The approval state of each account: its filing, and the table of steps that move it.

Each step is one entry of ``FILING_STEPS`` (approvals/models/steps.py says what is derived from
it). The transitions only change fields; ``approvals.services.steps.step_take`` checks the
permission and the guard, saves and logs inside one transaction.
"""

from operator import attrgetter

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField

from cleanup import selectors as cleanup_selectors
from newmedia.choices import choice_label
from registry.models import Account

from ..querysets import FilingQuerySet
from .signoff import Handover, SignOff, SignOffLevel, SignOffMode, acting_for
from .steps import Actor, Audience, Machine, Route, Step, Upload

REPORTED_LABEL = _("Reported, awaiting confirmation")

CLOSURE_KINDS = [(value, label) for value, label in Account.Disposition.choices if value != "keep"]

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
EVIDENCE_REQUIRED = _("Upload a screenshot that shows the closure done.")
WITHDRAW_REASON_REQUIRED = _("Say why you withdraw the submission.")
HANDOVER_TO_REQUIRED = _("Choose the colleague to hand it over to.")
HANDOVER_TO_SELF = _("You cannot hand it over to yourself.")
HANDOVER_NOT_SAME_ROLE = _("It can only be handed over to an active member of %(role)s.")
HANDOVER_LOOP = _(
    "%(user)s handed this signature to you: handing it back would go round in a loop."
)
SIGNERS_PENDING = _("Leaders of this level are still to sign.")
NOBODY_SIGNED = _("Nobody of this level has signed: its group needs a member.")


def submit_problems(filing: "Filing") -> list[str]:
    """Why the account cannot be submitted yet: missing columns, R6 not acknowledged, or a
    name that R1 forbids (it could never be approved or registered)."""
    account = filing.account
    problems = []
    if missing := account.missing_for_submission():
        problems.append(MISSING_FIELDS % {"fields": "、".join(missing)})
    if not account.rules_acknowledged:
        problems.append(str(RULES_NOT_ACKNOWLEDGED))
    if pattern := account.forbidden_pattern:
        problems.append(FORBIDDEN_NAME % {"pattern": pattern})
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


class FilingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting sign-off")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    REGISTERED = "registered", _("Registered")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", _("Closed")


def settle_problems(filing: "Filing") -> list[str]:
    """Why the level cannot be settled: someone is still to sign, or nobody has signed."""
    if filing.pending_signer_ids():
        return [str(SIGNERS_PENDING)]
    signed = filing.signoffs.filter(round=filing.signoff_round, level=filing.signoff_level)
    return [] if signed.exists() else [str(NOBODY_SIGNED)]


def _set_closure(filing: "Filing", *, by, comment, kind, reason, merge_into):
    filing.closure_kind = kind
    filing.closure_reason = reason
    filing.closure_merge_into = merge_into
    filing.closure_evidence.name = ""
    filing.closure_reported_at = None


def _set_evidence(filing: "Filing", *, by, comment, evidence):
    filing.closure_evidence.name = evidence
    filing.closure_reported_at = timezone.now()


def _enter_chain(filing: "Filing", *, by, comment):
    """The reviewer's decision starts the naming level's sign-off chain, as it stands now."""
    levels = SignOffLevel.objects.filter(naming_level=filing.account.naming_level)
    filing.signoff_chain = [level.snapshot() for level in levels.select_related("group")]
    filing.signoff_round += 1
    filing.signoff_level = 0
    filing.signoff_group_id = filing.signoff_chain[0]["group"] if filing.signoff_chain else None


def _sign(filing: "Filing", *, by, comment):
    """A leader's signature, for each member's signature they hold (their own, and those
    handed to them); the level is done when any one (或签) or every member (会签) signed."""
    held = [member for member, holder in filing.pending_slots().items() if holder == by.pk]
    # Their own first: under 或签 one signature is all the level needs.
    held.sort(key=lambda member: member != by.pk)
    mode = filing.signoff_chain[filing.signoff_level]["mode"]
    SignOff.objects.bulk_create(
        SignOff(
            filing=filing,
            round=filing.signoff_round,
            level=filing.signoff_level,
            member_id=member,
            signer=by,
            comment=comment,
        )
        for member in (held[:1] if mode == SignOffMode.ANY else held)
    )
    if not filing.pending_slots():
        _settle(filing, by=by, comment=comment)


def _hand_over(filing: "Filing", *, by, comment, to):
    """A reviewer hands a submission to another reviewer: theirs to decide now (转交)."""
    filing.assignee = to
    Handover.objects.create(filing=filing, from_user=by, to_user=to)


def _hand_over_signature(filing: "Filing", *, by, comment, to):
    """A leader hands every signature they hold at this level to another leader (转交)."""
    Handover.objects.create(
        filing=filing,
        round=filing.signoff_round,
        level=filing.signoff_level,
        from_user=by,
        to_user=to,
    )


def _settle(filing: "Filing", *, by, comment):
    """The level has nobody left to sign (a member who had yet to sign left its group): it is
    done with the signatures it has."""
    filing.signoff_level += 1
    levels = filing.signoff_chain
    more = filing.signoff_level < len(levels)
    filing.signoff_group_id = levels[filing.signoff_level]["group"] if more else None


def _leave_chain(filing: "Filing", *, by, comment):
    filing.signoff_group = None


def _decided(outcome: str):
    """The reviewer's decision: the outcome at once, or the sign-off chain first."""
    return Route(
        states=(FilingState.AWAITING_SIGNOFF, outcome),
        choose=lambda filing: FilingState.AWAITING_SIGNOFF if filing.signoff_group_id else outcome,
    )


def _signed(filing: "Filing") -> str:
    """After a signature: the next level, or the reviewer's decision once the chain is done."""
    if filing.signoff_group_id:
        return FilingState.AWAITING_SIGNOFF
    return FilingState.APPROVED if filing.account.needs_approval else FilingState.REGISTERED


def signature_holder(member: int, handed: dict[int, int]) -> int:
    """Who holds a member's signature after the handovers (the latest per person counts), or
    who acts for a person after the leave delegations."""
    seen = {member}
    while member in handed and handed[member] not in seen:
        member = handed[member]
        seen.add(member)
    return member


_S = FilingState
# After a signature, or a level settled: the next level, or the decision once the chain is done.
_AFTER_SIGNATURE = Route(states=(_S.AWAITING_SIGNOFF, _S.APPROVED, _S.REGISTERED), choose=_signed)
_CLOSURE = {
    "form": "approvals.forms.ClosureForm",
    "arguments": "approvals.services.filings.closure_arguments",
    "change": _set_closure,
    # A decided closure answers the account's findings (and may settle a duplicate's).
    "after": "approvals.services.filings.closure_decided",
}

# Every step of a filing, in the order pages offer them.
FILING_STEPS = Machine(
    department_id=attrgetter("account.department_id"),
    # A signature moves the level, not the state: both are checked under the row's lock.
    version_fields=("state", "signoff_round", "signoff_level"),
    steps=[
        Step(
            name="submit",
            # In context: our 提交审核 must not become Django's and import-export's "Submit".
            label=pgettext_lazy("a filing's step", "Submit"),
            sources=(_S.DRAFT, _S.RETURNED),
            target=_S.SUBMITTED,
            permission=("submit_filing", _("Can submit a filing")),
            actor=Actor.FILER,
            guard=submit_problems,
            notify=Audience.REVIEWERS,
        ),
        # Back to a draft, before any reviewer has acted on it.
        Step(
            name="withdraw",
            label=_("Withdraw"),
            sources=(_S.SUBMITTED,),
            target=_S.DRAFT,
            permission=("withdraw_filing", _("Can withdraw a submission")),
            actor=Actor.FILER,
            form="approvals.forms.WithdrawForm",
            comment_required=WITHDRAW_REASON_REQUIRED,
        ),
        Step(
            name="return_for_revision",
            label=_("Return for revision"),
            sources=(_S.SUBMITTED,),
            target=_S.RETURNED,
            permission=("return_filing", _("Can return a filing for revision")),
            actor=Actor.REVIEWER,
            form="approvals.forms.ReturnForm",
            comment_required=COMMENT_REQUIRED,
            notify=Audience.FILERS,
            bulk=True,
        ),
        Step(
            name="hand_over",
            label=_("Hand over"),
            sources=(_S.SUBMITTED,),
            target=_S.SUBMITTED,
            permission=("hand_over_filing", _("Can hand a submission to another reviewer")),
            actor=Actor.REVIEWER,
            form="approvals.forms.HandoverForm",
            arguments="approvals.services.filings.reviewer_handover_arguments",
            change=_hand_over,
            notify=Audience.ASSIGNEE,
            bulk=True,
        ),
        Step(
            name="approve",
            label=_("Approve"),
            sources=(_S.SUBMITTED,),
            target=_decided(_S.APPROVED),
            change=_enter_chain,
            permission=("approve_filing", _("Can approve a filing")),
            actor=Actor.REVIEWER,
            guard=approve_problems,
            notify=Audience.FILERS,
            bulk=True,
        ),
        Step(
            name="register",
            label=_("Register"),
            sources=(_S.SUBMITTED,),
            target=_decided(_S.REGISTERED),
            change=_enter_chain,
            permission=("register_filing", _("Can register a filing")),
            actor=Actor.REVIEWER,
            guard=register_problems,
            notify=Audience.FILERS,
            bulk=True,
        ),
        Step(
            name="sign_off",
            label=_("Sign off"),
            sources=(_S.AWAITING_SIGNOFF,),
            target=_AFTER_SIGNATURE,
            permission=("sign_off_filing", _("Can sign off a filing")),
            actor=Actor.LEADER,
            change=_sign,
            notify=Audience.FILERS,
        ),
        Step(
            name="hand_over_signature",
            label=_("Hand over"),
            sources=(_S.AWAITING_SIGNOFF,),
            target=_S.AWAITING_SIGNOFF,
            permission=("sign_off_filing", _("Can sign off a filing")),
            actor=Actor.LEADER,
            form="approvals.forms.HandoverForm",
            arguments="approvals.services.filings.leader_handover_arguments",
            change=_hand_over_signature,
            notify=Audience.ASSIGNEE,
        ),
        # A 会签 level whose last unsigned member left its group: done with the signatures it has.
        Step(
            name="settle_signoff",
            label=_("Sign-off level settled"),
            sources=(_S.AWAITING_SIGNOFF,),
            target=_AFTER_SIGNATURE,
            permission=("sign_off_filing", _("Can sign off a filing")),
            actor=Actor.SYSTEM,
            guard=settle_problems,
            change=_settle,
            notify=Audience.FILERS,
        ),
        # Any level may send it back to the filer; the chain starts again after the next decision.
        Step(
            name="return_from_signoff",
            label=_("Return to the filer"),
            sources=(_S.AWAITING_SIGNOFF,),
            target=_S.RETURNED,
            permission=("sign_off_filing", _("Can sign off a filing")),
            actor=Actor.LEADER,
            form="approvals.forms.ReturnForm",
            comment_required=COMMENT_REQUIRED,
            change=_leave_chain,
            notify=Audience.FILERS,
        ),
        Step(
            name="order_closure",
            label=_("Order closure"),
            sources=(_S.SUBMITTED, _S.APPROVED, _S.REGISTERED),
            target=_S.CLOSING,
            permission=("order_closure_filing", _("Can order a closure")),
            actor=Actor.REVIEWER,
            notify=Audience.FILERS,
            **_CLOSURE,
        ),
        Step(
            name="request_closure",
            label=_("Request closure"),
            sources=(_S.APPROVED, _S.REGISTERED),
            target=_S.CLOSING,
            permission=("request_closure_filing", _("Can request a closure")),
            actor=Actor.FILER,
            **_CLOSURE,
        ),
        # Not a change of state: the filer's report that the closure is done, logged like one.
        Step(
            name="report_closed",
            label=_("Report closure done"),
            sources=(_S.CLOSING,),
            target=_S.CLOSING,
            permission=("report_closed_filing", _("Can report a closure done")),
            actor=Actor.FILER,
            form="approvals.forms.ReportClosedForm",
            upload=Upload(
                field="evidence",
                kinds=("png", "jpeg"),
                max_bytes_setting="NEWMEDIA_EVIDENCE_MAX_BYTES",
                folder="evidence",
                required=EVIDENCE_REQUIRED,
            ),
            change=_set_evidence,
        ),
        Step(
            name="confirm_closed",
            label=_("Confirm closed"),
            sources=(_S.CLOSING,),
            target=_S.CLOSED,
            permission=("confirm_closed_filing", _("Can confirm a closure")),
            actor=Actor.REVIEWER,
            guard=confirm_closed_problems,
        ),
    ],
)


class Filing(FILING_STEPS.transitions(), ConcurrentTransitionMixin, models.Model):
    """The approval record (备案申报) of one account: its state and any closure."""

    State = FilingState

    machine = FILING_STEPS
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
    # The sign-off chain this filing entered with the reviewer's decision (SignOffLevel.snapshot
    # of each level), how often it has entered one, the level it is at, and that level's group.
    signoff_chain = models.JSONField(_("sign-off chain"), default=list, blank=True)
    signoff_round = models.PositiveSmallIntegerField(_("sign-off round"), default=0)
    signoff_level = models.PositiveSmallIntegerField(_("sign-off level"), default=0)
    # The reviewer a submission was handed to (转交), if any: it is theirs to decide.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed to"),
    )
    signoff_group = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("awaiting sign-off by"),
    )

    objects = FilingQuerySet.as_manager()

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        permissions = FILING_STEPS.permissions()
        indexes = [
            # The queues (submissions and closures, oldest first) read a few rows of one state
            # in order, however many accounts there are, rather than sorting every row of it.
            models.Index(fields=["state", "state_changed_at"], name="approvals_filing_queue"),
            # What was handed over to a reviewer, oldest first (the dashboard's 转交给我的): the
            # reviewer's few rows in order. Without it SQLite walked the whole submitted queue
            # for them (6 of the dashboard's 16 ms at 100,000 accounts).
            models.Index(
                fields=["assignee", "state", "state_changed_at"],
                condition=Q(assignee__isnull=False),
                name="approvals_filing_handed_over",
            ),
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

    @property
    def state_shown(self) -> str:
        """The state as its badge names it: a closure the filer reported done waits for the
        reviewer's confirmation (已报告，待确认), which "closing" alone does not say."""
        if self.state == self.State.CLOSING and self.closure_reported_at:
            return str(REPORTED_LABEL)
        return choice_label(self, "state")

    def owning_department(self):
        return self.account.department

    def audited_object(self):
        return self.account

    def pending_slots(self) -> dict[int, int]:
        """The signatures the level still owes: each member of its group (active) who has not
        signed, and who holds that signature now, themselves or whom it was handed to (the end
        of a chain of handovers). Empty outside the chain and once the level is done (或签:
        after one signature)."""
        if self.state != FilingState.AWAITING_SIGNOFF or not self.signoff_group_id:
            return {}
        members = set(
            self.signoff_group.user_set.filter(is_active=True).values_list("pk", flat=True)
        )
        here = {"round": self.signoff_round, "level": self.signoff_level}
        signed = set(self.signoffs.filter(**here).values_list("member_id", flat=True))
        if self.signoff_chain[self.signoff_level]["mode"] == SignOffMode.ANY and signed:
            return {}
        handed = dict(self.handovers.filter(**here).values_list("from_user_id", "to_user_id"))
        # Handed over first; then whoever acts for the holder while they are away.
        away = acting_for(timezone.localdate())
        return {
            member: signature_holder(signature_holder(member, handed), away)
            for member in members - signed
        }

    def pending_signer_ids(self) -> set[int]:
        """Who may still sign at the level the filing is at."""
        return set(self.pending_slots().values())

    def pending_signers_text(self) -> str:
        """The pending signers' names, for a refusal."""
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(pk__in=self.pending_signer_ids())
        return "、".join(u.get_full_name() or u.get_username() for u in users) or "—"

    @property
    def is_editable(self) -> bool:
        """The filer may still change the account's facts."""
        return self.state in self.EDITABLE_STATES
