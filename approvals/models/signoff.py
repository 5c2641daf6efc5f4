"""Sign-off chains (领导审批): after the reviewer's decision, the levels of leaders who sign.

A chain is data: for a naming level (R2), the levels in order, each a group of users and
whether any one member signs for the level (或签) or every member must (会签). A filing keeps the
chain it started with (``Filing.signoff_chain``), so editing a chain never moves a filing that is
already in one; who belongs to a level's group is read when they act, so a leader removed from
the group no longer signs for it.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry import roles
from registry.models import Account

__all__ = ["Handover", "LeaveDelegation", "SignOff", "SignOffLevel", "SignOffMode", "acting_for"]

# The roles whose members may be away and have a colleague act for them.
DELEGATING_ROLES = (roles.REVIEWER_GROUP, roles.LEADER_GROUP)
LEAVE_TO_SELF = _("Nobody can act for themselves while away.")
LEAVE_NOT_SAME_ROLE = _("Only a colleague of the same role (reviewer or signing leader) can act.")
LEAVE_LOOP = _(
    "That colleague is away at the same time and, through others, hands back to this person."
)


class SignOffMode(models.TextChoices):
    ANY = "any", _("Any one member signs (或签)")
    ALL = "all", _("Every member signs (会签)")


class SignOffLevel(models.Model):
    """One level of the chain of a naming level: who signs, and how many of them."""

    naming_level = models.CharField(
        _("naming level"), max_length=20, choices=Account.NamingLevel.choices
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="+", verbose_name=_("signing group")
    )
    mode = models.CharField(
        _("how the level signs"), max_length=10, choices=SignOffMode.choices, default="any"
    )

    class Meta:
        ordering = ["naming_level", "position"]
        verbose_name = _("sign-off level")
        verbose_name_plural = _("sign-off chains")
        constraints = [
            models.UniqueConstraint(
                fields=["naming_level", "position"],
                name="approvals_signofflevel_one_per_position",
                violation_error_message=_("The chain already has a level at this position."),
            ),
        ]

    def __str__(self):
        return f"{self.get_naming_level_display()} {self.position}：{self.group}"

    def snapshot(self) -> dict:
        """The level as a filing keeps it when it enters the chain."""
        return {"group": self.group_id, "group_name": self.group.name, "mode": self.mode}


class SignOff(models.Model):
    """A signature on a filing at one level of its chain: the member's whose signature it is,
    by them or by whoever they handed it to (转交)."""

    filing = models.ForeignKey(
        "approvals.Filing",
        on_delete=models.CASCADE,
        related_name="signoffs",
        verbose_name=_("filing"),
    )
    # The chain's pass this signature belongs to: a filing returned and approved again starts
    # a new pass, and the old signatures stay as history.
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    level = models.PositiveSmallIntegerField(_("level"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signature of"),
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)

    class Meta:
        ordering = ["round", "level", "signed_at", "pk"]
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "round", "level", "member"],
                name="approvals_signoff_once_per_level",
            ),
        ]

    def __str__(self):
        return f"{self.filing}：{self.signer}"


class Handover(models.Model):
    """A task handed to a colleague of the same role (转交): a submission to another reviewer,
    or a leader's signature at a level of the chain (round and level) to another leader."""

    filing = models.ForeignKey(
        "approvals.Filing",
        on_delete=models.CASCADE,
        related_name="handovers",
        verbose_name=_("filing"),
    )
    round = models.PositiveSmallIntegerField(_("round"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handed over to"),
    )
    handed_at = models.DateTimeField(_("handed over at"), default=timezone.now)

    class Meta:
        ordering = ["handed_at", "pk"]
        get_latest_by = ["handed_at", "pk"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self):
        return f"{self.filing}：{self.from_user} → {self.to_user}"


class LeaveDelegation(models.Model):
    """While a reviewer or a leader is away (from one day to another, both included), what is
    theirs to do goes to a colleague of the same role: signatures they owe, tasks handed to
    them, and the reminders of both."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="leave_delegations",
        verbose_name=_("away"),
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acting for them"),
    )
    starts_on = models.DateField(_("away from"))
    ends_on = models.DateField(_("away until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("leave delegation")
        verbose_name_plural = _("leave delegations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="approvals_leave_ends_after_it_starts",
                violation_error_message=_("The leave cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=~models.Q(delegate=models.F("user")),
                name="approvals_leave_not_to_oneself",
                violation_error_message=LEAVE_TO_SELF,
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.delegate}（{self.starts_on}—{self.ends_on}）"

    def clean(self):
        if not (self.user_id and self.delegate_id and self.starts_on and self.ends_on):
            return
        if self.user_id == self.delegate_id:
            raise ValidationError({"delegate": LEAVE_TO_SELF})
        shared = self.user.groups.filter(name__in=DELEGATING_ROLES).values_list("name", flat=True)
        if not self.delegate.groups.filter(name__in=list(shared)).exists():
            raise ValidationError({"delegate": LEAVE_NOT_SAME_ROLE})
        # Nobody away at the same time may, through others, hand back to the one away.
        overlapping = LeaveDelegation.objects.filter(
            starts_on__lte=self.ends_on, ends_on__gte=self.starts_on
        ).exclude(pk=self.pk)
        handed = dict(overlapping.values_list("user_id", "delegate_id"))
        seen, at = {self.user_id}, self.delegate_id
        while at in handed:
            at = handed[at]
            if at in seen:
                raise ValidationError({"delegate": LEAVE_LOOP})
            seen.add(at)


def acting_for(day) -> dict[int, int]:
    """Who acts for whom on the day: each user away, and the colleague acting for them."""
    return dict(
        LeaveDelegation.objects.filter(starts_on__lte=day, ends_on__gte=day).values_list(
            "user_id", "delegate_id"
        )
    )
