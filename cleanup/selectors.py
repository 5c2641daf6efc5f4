"""Reads of the clean-up data for the pages and for approvals' guards, each starting from the
visibility querysets, in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from registry import roles
from registry.models import Account, Staff

from .models import Finding, MemberMatch, Roster, RosterMember, Severity
from .rules import GROUP_CATEGORIES, ORDER


@dataclass
class Suggestion:
    """What the open findings suggest doing with an account, and why."""

    kind: str
    reason: str
    merge_into_id: int | None = None

    @property
    def label(self) -> str:
        return Account.Disposition(self.kind).label


def _in_rule_order(findings) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.severity, ORDER.get(f.rule, len(ORDER)), f.pk))


def account_findings(*, account_id: int) -> list[Finding]:
    """The account's open findings, blocking first, then in the rules' order; one query."""
    return _in_rule_order(Finding.objects.open().filter(account_id=account_id))


def blocking_explanations(*, account_id: int, exclude_rules: frozenset[str] = frozenset()):
    """Why the stored blocking findings stop the account's approval or registration, in words."""
    findings = (
        Finding.objects.open()
        .filter(account_id=account_id, severity=Severity.BLOCKING)
        .exclude(rule__in=exclude_rules)
    )
    return [finding.explanation for finding in _in_rule_order(findings)]


def suggested_disposition(*, account_id: int) -> Suggestion | None:
    """The closure the account's most serious open finding suggests, if any; one query."""
    findings = Finding.objects.open().filter(account_id=account_id).exclude(suggestion="")
    for finding in _in_rule_order(findings):
        return Suggestion(
            kind=finding.suggestion,
            reason=finding.explanation,
            merge_into_id=finding.merge_into_id,
        )
    return None


def finding_rows(*, user):
    """The open findings the user may see, with their account and department, for lists."""
    return (
        Finding.objects.for_user(user)
        .open()
        .select_related("account__department")
        .order_by("severity", "account__department_id", "account__name", "account_id", "rule")
    )


def filer_findings(*, user, limit: int = 10) -> list[Finding]:
    """What the filer's departments must fix before handing in: open findings, blocking first;
    one query."""
    rows = finding_rows(user=user).filter(
        account__department_id__in=roles.filer_department_ids(user)
    )
    return list(rows[:limit])


# Rosters.


def visible_group(*, user, pk: int) -> Account:
    """A group the user may see (a roster belongs only to a group); 404 for anything else."""
    return get_object_or_404(
        Account.objects.for_user(user)
        .select_related("department")
        .filter(category__in=GROUP_CATEGORIES),
        pk=pk,
    )


@dataclass
class RosterSummary:
    roster: Roster | None
    counts: dict[str, int]
    to_remove: int
    history: list[Roster]

    @property
    def rows(self) -> list[tuple[str, str, int]]:
        return [(m.value, m.label, self.counts.get(m.value, 0)) for m in MemberMatch]


def roster_summary(*, account: Account) -> RosterSummary:
    """The group's current roster, its members counted by mark, and the earlier uploads."""
    history = list(Roster.objects.filter(account=account).select_related("uploaded_by"))
    current = next((roster for roster in history if roster.is_current), None)
    counts, to_remove = {}, 0
    if current is not None:
        rows = (
            RosterMember.objects.filter(roster=current)
            .order_by()
            .values("match")
            .annotate(
                n=Count("pk"),
                pending=Count(
                    "pk",
                    filter=Q(match__in=RosterMember.TO_REMOVE, removal_done_at__isnull=True),
                ),
            )
        )
        for row in rows:
            counts[row["match"]] = row["n"]
            to_remove += row["pending"]
    return RosterSummary(
        roster=current,
        counts=counts,
        to_remove=to_remove,
        history=[roster for roster in history if not roster.is_current],
    )


def roster_members(*, roster: Roster, mark: str = ""):
    """The roster's members in file order, those of one mark, or (``to_remove``) those still
    to be removed."""
    members = RosterMember.objects.filter(roster=roster).select_related(
        "staff__department", "removal_done_by"
    )
    if mark == "to_remove":
        return members.filter(match__in=RosterMember.TO_REMOVE, removal_done_at__isnull=True)
    if mark in MemberMatch.values:
        return members.filter(match=mark)
    return members


def candidate_staff(*, members) -> dict[int, Staff]:
    """The staff records that ambiguous members may be, by id; one query."""
    ids = {pk for member in members for pk in member.candidates}
    if not ids:
        return {}
    return Staff.objects.select_related("department").in_bulk(ids)


def visible_member(*, user, account: Account, pk: int) -> RosterMember:
    """A member of the account's current roster; 404 for anything else."""
    return get_object_or_404(
        RosterMember.objects.for_user(user).select_related("roster__account__department"),
        pk=pk,
        roster__account=account,
        roster__is_current=True,
    )
