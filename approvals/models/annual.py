"""年审: a campaign of the kind annual review asks each department to confirm every account it
keeps. Each confirmation is answered one of three ways: still in use with its facts right (the
step below), a change request (变更备案), or a closure request; the two requests answer it when
they are made (``approvals.services.annual``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField

from registry.models import Account

from ..querysets import AnnualConfirmationQuerySet
from .campaign import Campaign
from .changes import AccountRecord
from .steps import Actor, Machine, Step


class ConfirmationState(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Still in use, facts right")
    CHANGE = "change", pgettext_lazy("annual review answer", "Change requested")
    CLOSURE = "closure", _("Closure requested")


CONFIRMATION_STEPS = Machine(
    steps=[
        Step(
            name="confirm_in_use",
            label=_("Still in use, facts right"),
            sources=(ConfirmationState.PENDING,),
            target=ConfirmationState.CONFIRMED,
            permission=("confirm_account", _("Can confirm an account in the annual review")),
            actor=Actor.FILER,
            # The account's finding for a late confirmation, if any, is answered.
            after="approvals.services.annual.confirmation_answered",
            bulk=True,
        ),
    ],
    department_id=lambda confirmation: confirmation.account.department_id,
)


class AnnualConfirmation(
    AccountRecord, CONFIRMATION_STEPS.transitions(), ConcurrentTransitionMixin, models.Model
):
    """One account a department keeps, to confirm in one annual review."""

    State = ConfirmationState
    machine = CONFIRMATION_STEPS

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="confirmations",
        verbose_name=_("campaign"),
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="annual_confirmations",
        verbose_name=_("account"),
    )
    state = FSMField(
        _("state"),
        default=ConfirmationState.PENDING,
        choices=ConfirmationState.choices,
        protected=True,
    )
    state_changed_at = models.DateTimeField(_("in this state since"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )

    objects = AnnualConfirmationQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual confirmation")
        verbose_name_plural = _("annual confirmations")
        permissions = CONFIRMATION_STEPS.permissions()
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "account"], name="approvals_confirmation_once_per_campaign"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ConfirmationState.values),
                name="approvals_confirmation_state_valid",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="approvals_confirm_state")]

    def __str__(self):
        return f"{self.account}：{self.get_state_display()}"
