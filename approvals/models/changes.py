"""变更备案: a change to a registered or approved account's facts, asked for by its department
and applied only when a reviewer approves it. The account keeps its registered facts and its
state until then; a returned request is kept, with the reviewer's comment."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from registry.models import Account

from ..querysets import ChangeRequestQuerySet
from .filing import Filing
from .steps import Actor, Audience, Machine, Step


class ChangeState(models.TextChoices):
    PENDING = "pending", _("Change awaiting review")
    APPROVED = "approved", _("Change approved")
    RETURNED = "returned", _("Change returned")
    WITHDRAWN = "withdrawn", _("Change withdrawn")


REQUEST_CHANGE = ("request_change", _("Can ask for a change to a registered account"))
REVIEW_CHANGE = ("review_change", _("Can approve or return a change request"))
CHANGE_COMMENT_REQUIRED = _("Say why the change is returned: a comment is required.")
CHANGED_SINCE = _(
    "The account's %(fields)s changed after this request was made: return it, and the "
    "department asks again from the account as it is now."
)
# A change is asked for on the accounts whose facts are registered.
CHANGEABLE_STATES = frozenset({Filing.State.APPROVED, Filing.State.REGISTERED})
ACCOUNT_GONE = _("The account is %(state)s now: the change can no longer apply.")


def change_problems(change: "ChangeRequest") -> list[str]:
    """Why the requested facts cannot be applied now (the account moved on since)."""
    filing = Filing.objects.only("state").get(account_id=change.account_id)
    if filing.state not in CHANGEABLE_STATES:
        return [str(ACCOUNT_GONE % {"state": filing.get_state_display()})]
    stale = change.stale_fields()
    if stale:
        labels = "、".join(str(Account._meta.get_field(name).verbose_name) for name in stale)
        return [str(CHANGED_SINCE % {"fields": labels})]
    return []


CHANGE_STEPS = Machine(
    steps=[
        Step(
            name="approve_change",
            label=_("Approve the change"),
            sources=(ChangeState.PENDING,),
            target=ChangeState.APPROVED,
            permission=REVIEW_CHANGE,
            actor=Actor.REVIEWER,
            guard=change_problems,
            # The facts apply, with their field history, in the step's transaction.
            after="approvals.services.changes.change_apply",
            notify=Audience.FILERS,
            bulk=True,
        ),
        Step(
            name="return_change",
            label=_("Return the change"),
            sources=(ChangeState.PENDING,),
            target=ChangeState.RETURNED,
            permission=REVIEW_CHANGE,
            actor=Actor.REVIEWER,
            comment_required=CHANGE_COMMENT_REQUIRED,
            notify=Audience.FILERS,
            bulk=True,
        ),
        Step(
            name="withdraw_change",
            label=_("Withdraw the change"),
            sources=(ChangeState.PENDING,),
            target=ChangeState.WITHDRAWN,
            permission=REQUEST_CHANGE,
            actor=Actor.FILER,
        ),
    ],
    department_id=lambda change: change.account.department_id,
)


class AccountRecord:
    """A record about one account (a change request, a confirmation): its page is the
    account's, its department the account's, and the audit trail names the account."""

    def get_absolute_url(self):
        return reverse("approvals:account_detail", args=[self.account_id])

    def owning_department(self):
        return self.account.department

    def audited_object(self):
        return self.account


class ChangeRequest(
    AccountRecord, CHANGE_STEPS.transitions(), ConcurrentTransitionMixin, models.Model
):
    """The facts a department asks to change on a registered or approved account, field by field:
    ``proposed`` the new values and ``base`` the registered ones they replace (raw, as the field
    history keeps them)."""

    State = ChangeState
    machine = CHANGE_STEPS

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="change_requests",
        verbose_name=_("account"),
    )
    state = FSMField(
        _("state"), default=ChangeState.PENDING, choices=ChangeState.choices, protected=True
    )
    state_changed_at = models.DateTimeField(_("in this state since"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    reason = models.CharField(_("reason for the change"), max_length=500)
    proposed = models.JSONField(_("proposed facts"))
    base = models.JSONField(_("registered facts"))

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        permissions = CHANGE_STEPS.permissions()
        constraints = [
            # Two requests for one account would each undo the other: one waits at a time.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(state="pending"),
                name="approvals_change_one_pending_per_account",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ChangeState.values), name="approvals_change_state_valid"
            ),
        ]

    def __str__(self):
        return f"{self.account}：{self.get_state_display()}"

    def stale_fields(self) -> list[str]:
        """The requested fields whose registered value is no longer the one the request saw."""
        from registry.services import account_facts

        now = account_facts(Account.objects.get(pk=self.account_id))
        return [name for name, old in self.base.items() if now.get(name) != old]
