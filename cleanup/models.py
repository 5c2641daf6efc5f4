"""Member rosters of groups, matched against the staff roster, and the clean-up findings.

A roster is replaced whole on each upload: the new one becomes current and the old ones stay,
with their members, as the history. A finding is one rule (``cleanup.rules``) that an account
breaks; it stays open while the rule still fires and is resolved, never deleted, once it does
not, so the history of what was found and fixed is kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Account, Staff

from .querysets import FindingQuerySet, RosterMemberQuerySet, RosterQuerySet


class MemberMatch(models.TextChoices):
    OWN_DEPARTMENT = "own_department", _("Staff of this department")
    OTHER_DEPARTMENT = "other_department", _("Staff of another department")
    DEPARTED = "departed", _("Departed staff")
    NOT_STAFF = "not_staff", _("Not staff")
    AMBIGUOUS = "ambiguous", _("Ambiguous: to decide")


class MatchBasis(models.TextChoices):
    STAFF_NUMBER = "staff_number", _("staff number")
    PHONE = "phone", _("phone")
    NAME = "name", _("real name")
    DECIDED = "decided", _("decided by a person")
    NONE = "", _("no match")


class Severity(models.TextChoices):
    # Sorted by value, blocking comes first: lists order on it.
    BLOCKING = "blocking", _("Blocking")
    WARNING = "warning", _("Warning")


class Roster(models.Model):
    """One upload of a group's member list."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="rosters", verbose_name=_("account")
    )
    is_current = models.BooleanField(_("current"), default=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    group_number = models.CharField(_("group number in the file"), max_length=64, blank=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    objects = RosterQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("member roster")
        verbose_name_plural = _("member rosters")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_current=True),
                name="cleanup_roster_one_current_per_account",
            ),
            models.CheckConstraint(
                condition=Q(is_current=True, replaced_at__isnull=True)
                | Q(is_current=False, replaced_at__isnull=False),
                name="cleanup_roster_replaced_only_when_not_current",
            ),
        ]

    def __str__(self):
        return f"{self.account.name} · {timezone.localtime(self.uploaded_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("cleanup:roster_detail", args=[self.account_id])


class RosterMember(models.Model):
    """One member of an uploaded roster, as the file has them, and who they are on the staff."""

    Match = MemberMatch
    Basis = MatchBasis
    # The marks that must leave a work group with real-name admission (R5).
    TO_REMOVE = frozenset({MemberMatch.DEPARTED, MemberMatch.NOT_STAFF})

    roster = models.ForeignKey(
        Roster, on_delete=models.PROTECT, related_name="members", verbose_name=_("roster")
    )
    row = models.PositiveIntegerField(_("row in the file"))
    nickname = models.CharField(_("nickname"), max_length=200, blank=True)
    card = models.CharField(_("group name card"), max_length=200, blank=True)
    member_number = models.CharField(_("QQ or WeChat number"), max_length=64, blank=True)
    real_name = models.CharField(_("real name"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=16, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    last_spoke_on = models.DateField(_("last spoke on"), null=True, blank=True)
    match = models.CharField(_("match"), max_length=20, choices=MemberMatch.choices)
    basis = models.CharField(_("matched by"), max_length=20, choices=MatchBasis.choices, blank=True)
    staff = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    # The staff ids a person must choose between when the match is ambiguous.
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    removal_done_at = models.DateTimeField(_("removal done at"), null=True, blank=True)
    removal_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("removal done by"),
    )

    objects = RosterMemberQuerySet.as_manager()

    class Meta:
        ordering = ["roster", "row"]
        verbose_name = _("roster member")
        verbose_name_plural = _("roster members")
        indexes = [models.Index(fields=["roster", "match"], name="cleanup_member_roster_match")]
        constraints = [
            models.UniqueConstraint(fields=["roster", "row"], name="cleanup_member_one_per_row"),
            models.CheckConstraint(
                condition=Q(match__in=MemberMatch.values), name="cleanup_member_match_valid"
            ),
            # A member is matched to a staff record exactly when the mark says staff.
            models.CheckConstraint(
                condition=Q(
                    match__in=["own_department", "other_department", "departed"],
                    staff__isnull=False,
                )
                | (Q(match__in=["not_staff", "ambiguous"]) & Q(staff__isnull=True)),
                name="cleanup_member_staff_iff_matched",
            ),
        ]

    def __str__(self):
        return self.card or self.nickname or self.real_name or self.member_number

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def must_leave(self) -> bool:
        """Marked for removal and not yet removed."""
        return self.match in self.TO_REMOVE and self.removal_done_at is None


class Finding(models.Model):
    """An account breaking one clean-up rule: open until the rule no longer fires."""

    Severity = Severity

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="findings", verbose_name=_("account")
    )
    # A code of cleanup.rules.RULES; kept as text so that retiring a rule needs no migration.
    rule = models.CharField(_("rule"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # What the explanation quotes (dates, counts, the surviving account's name); the Chinese
    # text is built from them when shown, so it follows the catalogue.
    params = models.JSONField(_("details"), default=dict, blank=True)
    suggestion = models.CharField(
        _("suggested disposition"),
        max_length=20,
        choices=Account.Disposition.choices,
        blank=True,
    )
    merge_into = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested survivor"),
    )
    opened_at = models.DateTimeField(_("found at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["severity", "account_id", "rule"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [
            # Rule first: a count by severity alone then goes through the account's department
            # (the command centre's per-department counts), not every open finding of it.
            models.Index(
                fields=["rule", "severity"],
                condition=Q(resolved_at__isnull=True),
                name="cleanup_finding_open_by_rule",
            )
        ]
        constraints = [
            # Idempotency as a fact: two evaluations at once cannot open the same finding twice.
            models.UniqueConstraint(
                fields=["account", "rule"],
                condition=Q(resolved_at__isnull=True),
                name="cleanup_finding_one_open_per_rule",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="cleanup_finding_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(suggestion="merge") | Q(merge_into__isnull=True),
                name="cleanup_finding_survivor_only_for_merge",
            ),
        ]

    def __str__(self):
        return f"{self.account_id}：{self.rule_title}"

    def get_absolute_url(self):
        return reverse("approvals:account_detail", args=[self.account_id])

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def is_blocking(self) -> bool:
        return self.severity == Severity.BLOCKING

    @property
    def explanation(self) -> str:
        """The rule's explanation for this account, in the user's language, citing the notice."""
        from .rules import explain

        return explain(self.rule, self.params)

    @property
    def rule_title(self) -> str:
        from .rules import rule_title

        return rule_title(self.rule)

    @property
    def notice_rule(self) -> str:
        from .rules import notice_rule

        return notice_rule(self.rule)

    @property
    def notice(self):
        """The rule of the notice behind this finding (cleanup/notice.py), or None."""
        from .notice import NOTICE_RULES

        return NOTICE_RULES.get(self.notice_rule)


class FindingTally(models.Model):
    """How many open findings of each severity a department's accounts have, for the command
    centre's rows, their sort and their filter at 1,000 departments.

    Kept by the database itself, not by Django: triggers on ``cleanup_finding`` and
    ``registry_account`` (cleanup/triggers.py, for SQLite and PostgreSQL) add a row of +1 or -1
    (a delta) as a finding opens, is resolved, reopened or deleted, or its account moves to
    another department, by any path. A beat task folds each key's rows into one
    (``dbtriggers.compact()``). Never write to it; read it summed (``Sum("n")``).
    """

    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.CASCADE,
        related_name="finding_tallies",
        verbose_name=_("department"),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    n = models.IntegerField(_("open findings"))

    class Meta:
        verbose_name = _("finding tally")
        verbose_name_plural = _("finding tallies")
        # Covering: a department row's count is read from the index alone.
        indexes = [
            models.Index(fields=["department", "severity", "n"], name="cleanup_tally_by_department")
        ]

    def __str__(self):
        return f"{self.department_id} {self.severity}: {self.n}"
