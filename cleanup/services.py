"""Writes of the clean-up data: evaluating the rules into findings, and member rosters.

``findings_evaluate`` is incremental: it compares what the rules find now with the open
findings and writes only the differences (new ones, changed details, resolved ones), so a run
with nothing changed writes nothing. The nightly task runs it over everything; the services that
change an account (``approvals.services``), a roster or a removal run it over that account's
department, as duplicates and caps are decided department by department.
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import audit_record
from registry import roles
from registry.models import Account, Staff

from . import rosters
from .models import Finding, MemberMatch, Roster, RosterMember
from .rules import CLOSING_STATES, GROUP_CATEGORIES, RULES, Context

logger = logging.getLogger(__name__)

NOT_A_GROUP = _("Only a group has a member roster; this account is a publishing account.")
FILER_ONLY = _("Only a filer of %(department)s may do this.")
NOTHING_SELECTED = _("Select at least one member.")
NOT_AMBIGUOUS = _("This member is not waiting for a decision.")
NOT_A_CANDIDATE = _("Choose one of the staff members offered, or “not staff”.")
_WRITE_BATCH = 2000


# ------------------------------------------------------------------------------------------------
# Findings
# ------------------------------------------------------------------------------------------------


@dataclass
class EvaluationSummary:
    new: int = 0
    still_open: int = 0
    changed: int = 0
    resolved: int = 0

    def as_dict(self) -> dict:
        return {
            "new": self.new,
            "still_open": self.still_open,
            "changed": self.changed,
            "resolved": self.resolved,
        }


def live_accounts():
    """Accounts the rules look at: all but those whose closure is decided (closing, closed)."""
    return Account.objects.filter(Q(filing__isnull=True) | ~Q(filing__state__in=CLOSING_STATES))


def findings_compute(*, context: Context) -> dict[tuple[int, str], tuple]:
    """What every rule finds in the context: (account id, rule) → (severity, params,
    suggestion, survivor id)."""
    found = {}
    for rule in RULES:
        for account_id, hit in rule.check(context).items():
            found[(account_id, rule.code)] = (
                rule.severity,
                hit.params,
                hit.suggestion,
                hit.merge_into_id,
            )
    return found


def _chunks(items: list, size: int = _WRITE_BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def findings_evaluate(
    *, department_ids: set[int] | None = None, today: date | None = None
) -> EvaluationSummary:
    """Run every rule over all accounts (or the given departments') and record the
    differences: new findings, changed details, resolved findings. Nothing else is written."""
    today = today or timezone.localdate()
    accounts = live_accounts()
    existing = Finding.objects.open()
    if department_ids is not None:
        accounts = accounts.filter(department_id__in=department_ids)
        existing = existing.filter(account__department_id__in=department_ids)
    found = findings_compute(context=Context(accounts=accounts, today=today))
    summary = EvaluationSummary()
    now = timezone.now()
    with transaction.atomic():
        new, changed, resolved = [], [], []
        rows = existing.values_list(
            "pk", "account_id", "rule", "severity", "params", "suggestion", "merge_into_id"
        )
        for pk, account_id, rule, *stored in rows.iterator(chunk_size=5000):
            now_found = found.pop((account_id, rule), None)
            if now_found is None:
                resolved.append(pk)
            elif list(now_found) != stored:
                severity, params, suggestion, merge_into_id = now_found
                changed.append(
                    Finding(
                        pk=pk,
                        severity=severity,
                        params=params,
                        suggestion=suggestion,
                        merge_into_id=merge_into_id,
                    )
                )
            else:
                summary.still_open += 1
        for (account_id, rule), (severity, params, suggestion, merge_into_id) in found.items():
            new.append(
                Finding(
                    account_id=account_id,
                    rule=rule,
                    severity=severity,
                    params=params,
                    suggestion=suggestion,
                    merge_into_id=merge_into_id,
                    opened_at=now,
                )
            )
        # Another evaluation may have opened the same finding meanwhile: the unique constraint
        # on open findings keeps one, and this insert skips it.
        Finding.objects.bulk_create(new, batch_size=_WRITE_BATCH, ignore_conflicts=True)
        Finding.objects.bulk_update(
            changed, ["severity", "params", "suggestion", "merge_into"], batch_size=_WRITE_BATCH
        )
        for chunk in _chunks(resolved):
            Finding.objects.filter(pk__in=chunk, resolved_at__isnull=True).update(resolved_at=now)
    summary.new, summary.changed, summary.resolved = len(new), len(changed), len(resolved)
    summary.still_open += len(changed)
    return summary


def findings_refresh(*, department_ids: set[int]) -> EvaluationSummary:
    """Re-evaluate the departments' accounts now, after one of them changed."""
    return findings_evaluate(department_ids={pk for pk in department_ids if pk is not None})


# ------------------------------------------------------------------------------------------------
# Rosters
# ------------------------------------------------------------------------------------------------


def may_write_roster(*, user, account: Account, permission: str = "cleanup.add_roster") -> bool:
    """Only the department's filers (the group's owners file for it) write its rosters."""
    return user.has_perm(permission) and roles.is_filer_of(user, account.department_id)


def check_roster_writer(*, user, account: Account, permission: str) -> None:
    """Refuse anyone but the department's filers, saying who may."""
    if not may_write_roster(user=user, account=account, permission=permission):
        raise PermissionDenied(FILER_ONLY % {"department": account.department.name})


def roster_upload(
    *,
    account: Account,
    by,
    upload: UploadedFile,
    mapping: dict[str, int] | None = None,
    header_row: int | None = None,
) -> Roster:
    """Replace the group's roster with the uploaded file, every member matched against the
    staff roster; the file is refused whole, with every problem, or stored whole."""
    check_roster_writer(user=by, account=account, permission="cleanup.add_roster")
    if account.category not in GROUP_CATEGORIES:
        raise ValidationError(NOT_A_GROUP, code="not_a_group")
    rows, title = rosters.file_rows(upload)
    parsed = rosters.parse_rows(rows, title=title, mapping=mapping, header_row=header_row)
    rosters.check_group(parsed, account_number=account.number)
    rosters.match_members(parsed.members, department_id=account.department_id)
    now = timezone.now()
    with transaction.atomic():
        # The lock orders two uploads for the same group: the second replaces the first.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        Roster.objects.filter(account=account, is_current=True).update(
            is_current=False, replaced_at=now
        )
        roster = Roster.objects.create(
            account=account,
            file_name=(upload.name or "")[:255],
            group_number=parsed.group_number,
            member_count=len(parsed.members),
            uploaded_by=by,
            uploaded_at=now,
        )
        RosterMember.objects.bulk_create(
            (
                RosterMember(
                    roster=roster,
                    row=m.row,
                    nickname=m.nickname,
                    card=m.card,
                    member_number=m.member_number,
                    real_name=m.real_name,
                    gender=m.gender,
                    joined_on=m.joined_on,
                    last_spoke_on=m.last_spoke_on,
                    match=m.match,
                    basis=m.basis,
                    staff_id=m.staff_id,
                    candidates=m.candidates,
                )
                for m in parsed.members
            ),
            batch_size=_WRITE_BATCH,
        )
        audit_record(
            action=AuditEvent.Action.IMPORTED,
            user=by,
            obj=account,
            detail=f"cleanup.Roster from {roster.file_name}: {roster.member_count} members",
        )
        findings_refresh(department_ids={account.department_id})
    return roster


def roster_removals_done(*, roster: Roster, by, member_ids: list[int]) -> int:
    """The owner has removed these members from the group; how many were newly marked."""
    check_roster_writer(user=by, account=roster.account, permission="cleanup.change_rostermember")
    if not member_ids:
        raise ValidationError(NOTHING_SELECTED, code="nothing_selected")
    with transaction.atomic():
        # A conditional update: marking twice (two tabs, a double click) counts once.
        done = RosterMember.objects.filter(
            roster=roster, pk__in=member_ids, removal_done_at__isnull=True
        ).update(removal_done_at=timezone.now(), removal_done_by=by)
        if done:
            findings_refresh(department_ids={roster.account.department_id})
    return done


def roster_member_decide(*, member: RosterMember, by, staff_id: int | None) -> RosterMember:
    """A person decides who an ambiguous member is: one of the candidates, or not staff."""
    account = member.roster.account
    check_roster_writer(user=by, account=account, permission="cleanup.change_rostermember")
    if member.match != MemberMatch.AMBIGUOUS:
        raise ValidationError(NOT_AMBIGUOUS, code="not_ambiguous")
    if staff_id is not None and staff_id not in member.candidates:
        raise ValidationError(NOT_A_CANDIDATE, code="not_a_candidate")
    with transaction.atomic():
        if staff_id is None:
            match, staff = MemberMatch.NOT_STAFF, None
        else:
            staff = Staff.objects.get(pk=staff_id)
            if staff.status != Staff.Status.ACTIVE:
                match = MemberMatch.DEPARTED
            elif staff.department_id == account.department_id:
                match = MemberMatch.OWN_DEPARTMENT
            else:
                match = MemberMatch.OTHER_DEPARTMENT
        claimed = RosterMember.objects.filter(pk=member.pk, match=MemberMatch.AMBIGUOUS).update(
            match=match, staff=staff, basis=RosterMember.Basis.DECIDED
        )
        if not claimed:
            raise ValidationError(NOT_AMBIGUOUS, code="not_ambiguous")
        findings_refresh(department_ids={account.department_id})
    member.refresh_from_db()
    return member
