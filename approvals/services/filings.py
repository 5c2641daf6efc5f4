"""The filings' writes beyond a step: a new account's draft, a filer's edits, the bulk queue,
and the closure steps' arguments. Every step itself goes through ``steps.step_take``.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cleanup import services as cleanup_services
from newmedia.publishing import batched
from registry import roles
from registry import services as registry_services
from registry.models import Account, AccountChange, Department

from ..models import CLOSURE_KINDS, AnnualConfirmation, Filing, acting_for
from ..models.filing import (
    HANDOVER_LOOP,
    HANDOVER_NOT_SAME_ROLE,
    HANDOVER_TO_REQUIRED,
    HANDOVER_TO_SELF,
    signature_holder,
)
from .annual import confirmations_answer
from .steps import step_take

CREATED_LABEL = _("Created")
KIND_REQUIRED = _("Choose the kind of closure: merge, deregister, take down or dissolve.")
REASON_REQUIRED = _("Give the reason for the closure.")
SURVIVOR_REQUIRED = _("A merge names the account it is merged into.")
SURVIVOR_IS_SELF = _("An account cannot be merged into itself.")
SURVIVOR_CLOSING = _("The account to merge into is itself being closed.")
NOT_EDITABLE = _(
    "The account is %(state)s: it can only be changed while it is a draft or returned."
)
NOT_DEPARTMENT_FILER = _("You do not file for %(department)s.")
BULK_OUT_OF_TIME = _("Not attempted: the action ran out of time. Select it and apply it again.")


def closure_arguments(
    filing: Filing,
    *,
    by,
    comment: str,
    kind: str = "",
    reason: str = "",
    merge_into: Account | None = None,
) -> dict:
    """A closure's kind, reason and surviving account, checked, as the closure steps take them;
    the reason is the log's comment unless one is given."""
    errors = {}
    if kind not in dict(CLOSURE_KINDS):
        errors["kind"] = KIND_REQUIRED
    if not reason.strip():
        errors["reason"] = REASON_REQUIRED
    if kind == Account.Disposition.MERGE:
        if merge_into is None:
            errors["merge_into"] = SURVIVOR_REQUIRED
        elif merge_into.pk == filing.account_id:
            errors["merge_into"] = SURVIVOR_IS_SELF
        elif Filing.objects.filter(
            account=merge_into, state__in=[Filing.State.CLOSING, Filing.State.CLOSED]
        ).exists():
            errors["merge_into"] = SURVIVOR_CLOSING
    if errors:
        raise ValidationError(errors)
    return {
        "comment": comment or reason,
        "kind": kind,
        "reason": reason.strip(),
        "merge_into": merge_into if kind == Account.Disposition.MERGE else None,
    }


def _handover_arguments(filing: Filing, *, by, to, role: str, loops: bool) -> dict:
    errors = []
    if to is None:
        errors.append(HANDOVER_TO_REQUIRED)
    elif to.pk == getattr(by, "pk", None):
        errors.append(HANDOVER_TO_SELF)
    elif not to.is_active or not to.groups.filter(name=role).exists():
        errors.append(HANDOVER_NOT_SAME_ROLE % {"role": role})
    elif loops:
        here = {"round": filing.signoff_round, "level": filing.signoff_level}
        handed = dict(filing.handovers.filter(**here).values_list("from_user_id", "to_user_id"))
        if signature_holder(to.pk, handed) == by.pk or to.pk in _handed_to(by.pk, handed):
            errors.append(HANDOVER_LOOP % {"user": to.get_full_name() or to.get_username()})
    if errors:
        raise ValidationError({"to": errors})
    # Handed to someone away: it goes to whoever acts for them (a new task follows the leave).
    acting = signature_holder(to.pk, acting_for(timezone.localdate()))
    if acting != to.pk and acting != getattr(by, "pk", None):
        to = get_user_model().objects.get(pk=acting)
    return {"to": to}


def _handed_to(user_id: int, handed: dict[int, int]) -> set[int]:
    """Everyone who handed their signature, directly or through others, to this user."""
    found, frontier = set(), {user_id}
    while frontier:
        frontier = {giver for giver, taker in handed.items() if taker in frontier} - found
        found |= frontier
    return found


def reviewer_handover_arguments(filing: Filing, *, by, comment: str, to=None) -> dict:
    """Whom a reviewer hands a submission to: another active reviewer, not themselves."""
    return _handover_arguments(filing, by=by, to=to, role=roles.REVIEWER_GROUP, loops=False)


def leader_handover_arguments(filing: Filing, *, by, comment: str, to=None) -> dict:
    """Whom a leader hands their signature to: another active leader, not themselves, and not
    one who handed theirs to them (no loop)."""
    return _handover_arguments(filing, by=by, to=to, role=roles.LEADER_GROUP, loops=True)


def closure_decided(filing: Filing, *, by) -> None:
    """A decided closure answers the account's findings (and may settle a duplicate's), and its
    confirmation in an annual review."""
    confirmations_answer(
        account_id=filing.account_id, state=AnnualConfirmation.State.CLOSURE, by=by
    )
    cleanup_services.findings_refresh(department_ids={filing.account.department_id})


MEMBER_LEFT = _(
    "A member of %(group)s left the group: the level is done with the signatures it has."
)


def signoffs_settle(*, group_ids) -> int:
    """Settle the filings whose sign-off level has nobody left to sign after members left its
    group (a 会签 must not wait for someone who can no longer sign); how many moved on."""
    settled = 0
    waiting = Filing.objects.filter(
        state=Filing.State.AWAITING_SIGNOFF, signoff_group_id__in=list(group_ids)
    ).select_related("account", "signoff_group")
    for filing in waiting:
        if Filing.machine.problems(filing, "settle_signoff"):
            continue
        comment = MEMBER_LEFT % {"group": filing.signoff_group.name}
        step_take(filing, "settle_signoff", by=None, comment=str(comment))
        settled += 1
    return settled


def filings_submit_drafts(*, by) -> tuple[list[Filing], list[tuple[Filing, str]]]:
    """A filer submits every draft of their departments at once (after an import whose R6 box
    was ticked, nobody need open each account); each is checked on its own, as the bulk review's
    rows are, and those that cannot go yet are returned with the reasons."""
    drafts = (
        Filing.objects.filter(
            state=Filing.State.DRAFT,
            account__department_id__in=roles.filer_department_ids(by),
        )
        .select_related("account__department")
        .order_by("account__name", "pk")
    )
    return filings_bulk_review(filings=drafts, action="submit", by=by, expected_state=None)


def check_department_writer(*, user, department: Department, permission: str) -> None:
    """Only the department's filers, or those who see every department, write its accounts."""
    if not user.has_perm(permission) or not (
        roles.is_filer_of(user, department.pk) or roles.sees_all(user)
    ):
        raise PermissionDenied(NOT_DEPARTMENT_FILER % {"department": department.name})


def filing_create(*, account: Account, by) -> Filing:
    """Record a new account (from a form or the admin) and open its filing as a draft."""
    check_department_writer(
        user=by, department=account.department, permission="registry.add_account"
    )
    with transaction.atomic():
        registry_services.account_create(account=account, by=by)
        filing = Filing.objects.create(account=account)
        # The new account's findings, and its department's duplicates and caps, at once.
        cleanup_services.findings_refresh(department_ids={account.department_id})
        return filing


def filings_open_missing() -> int:
    """Open a draft filing for every account that has none, e.g. after a spreadsheet import."""
    missing = Account.objects.filter(filing__isnull=True).values_list("pk", flat=True)
    return len(Filing.objects.bulk_create([Filing(account_id=pk) for pk in missing]))


def account_edit(*, account: Account, by, version: int) -> Account:
    """Save a filer's changes to an account that is still a draft or returned."""
    # Both the department it belongs to now and the one the form moves it to must be the filer's.
    departments = (Department.objects.get(accounts=account.pk), account.department)
    for department in departments:
        check_department_writer(
            user=by, department=department, permission="registry.change_account"
        )
    with transaction.atomic():
        filing = Filing.objects.select_for_update().get(account=account)
        if not filing.is_editable:
            raise ValidationError(
                NOT_EDITABLE % {"state": filing.get_state_display()},
                code="not_editable",
            )
        account = registry_services.account_update(
            account=account, version=version, by=by, path=AccountChange.Path.SITE
        )
        # A rename resolves (or opens) findings here and on the department's other accounts.
        cleanup_services.findings_refresh(department_ids={d.pk for d in departments})
        return account


def filings_bulk_review(
    *,
    filings,
    action: str,
    by,
    comment: str = "",
    expected_state: str | None = Filing.State.SUBMITTED,
    **arguments,
) -> tuple[list[Filing], list[tuple[Filing, str]]]:
    """Take one reviewer action on many records of one table (submitted filings, pending change
    requests), each row checked and saved on its own.

    Returns the filings done and, for the others, why not; one refusal does not undo the rest.
    The emails of every row are published once, after the last; rows left when
    NEWMEDIA_BULK_SECONDS have passed are not attempted (and say so), so the page always comes
    back before the server's timeout with the whole list.
    """
    done, refused = [], []
    deadline = time.monotonic() + settings.NEWMEDIA_BULK_SECONDS
    with batched():
        for filing in filings:
            if (done or refused) and time.monotonic() > deadline:
                refused.append((filing, str(BULK_OUT_OF_TIME)))
                continue
            try:
                step_take(
                    filing,
                    action,
                    by=by,
                    comment=comment,
                    expected_state=expected_state or filing.state,
                    **arguments,
                )
            except (ValidationError, PermissionDenied) as exc:
                messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                refused.append((filing, "；".join(messages)))
            else:
                done.append(filing)
    return done, refused
