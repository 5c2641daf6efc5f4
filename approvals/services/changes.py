"""变更备案: a department asks to change a registered account's facts; a reviewer approves (the
facts apply, with their field history) or returns it. What needs no review applies at once."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from registry import services as registry_services
from registry.models import Account, AccountChange

from ..models import CHANGEABLE_STATES, AnnualConfirmation, ChangeRequest, Filing
from .annual import confirmations_answer
from .filings import check_department_writer
from .notifications import notification_build, notifications_create, reviewers, site_link

NOT_CHANGEABLE = _(
    "Only an approved or registered account is changed by a change request; this one is %(state)s."
)
ALREADY_PENDING = _(
    "A change to this account is already waiting for review. Withdraw it to ask for another, "
    "or wait for the reviewer's decision."
)
NOTHING_CHANGED = _("Nothing was changed: change a fact to ask for its review.")
REQUESTED_LABEL = _("Change requested")
REASON_REQUIRED = _("Say why the registered facts change: a reason is required.")
WAITING_IN_ADMIN = _(
    "Saved as a change request: the account keeps its registered facts until a reviewer "
    "approves it on the site. Correcting registered data directly needs the permission "
    "“Can correct registered data directly”."
)


def change_request_create(
    *, account: Account, by, version: int, reason: str, path: str = AccountChange.Path.SITE
) -> ChangeRequest | None:
    """Ask for the facts edited on ``account`` (the form's unsaved instance) to be registered.

    The fields in NEWMEDIA_CHANGE_IMMEDIATE_FIELDS apply at once, with their history; the rest
    wait in a pending request, the account keeping its registered facts. Refused, with the
    field named, when the new facts break a rule of the form (checked now, and again on
    approval). Returns the request, or None when everything applied at once.
    """
    stored_department = Account.objects.select_related("department").get(pk=account.pk).department
    # On the site, the department's filers ask; in the admin, those who may change accounts.
    permission = "approvals.request_change" if path == "site" else "registry.change_account"
    for department in {stored_department, account.department}:
        check_department_writer(user=by, department=department, permission=permission)
    with transaction.atomic():
        filing = Filing.objects.select_for_update().get(account_id=account.pk)
        if filing.state not in CHANGEABLE_STATES:
            raise ValidationError(
                NOT_CHANGEABLE % {"state": filing.get_state_display()}, code="not_changeable"
            )
        if ChangeRequest.objects.filter(account_id=account.pk, state="pending").exists():
            raise ValidationError(ALREADY_PENDING, code="pending")
        stored = Account.objects.select_for_update().get(pk=account.pk)
        if stored.version != version:
            raise ValidationError(registry_services.STALE_EDIT, code="stale")
        before, after = (
            registry_services.account_facts(stored),
            registry_services.account_facts(account),
        )
        changed = {name for name in before if before[name] != after[name]}
        if not changed:
            raise ValidationError(NOTHING_CHANGED, code="unchanged")
        account.full_clean()  # the whole proposal, as it would be registered
        # Asking for a change answers the account's confirmation in an annual review.
        confirmations_answer(account_id=account.pk, state=AnnualConfirmation.State.CHANGE, by=by)
        now = changed & set(immediate_fields())
        if now:
            registry_services.account_facts_set(stored, {name: after[name] for name in now})
            registry_services.account_update(
                account=stored, version=stored.version, by=by, path=path
            )
        later = changed - now
        if not later:
            return None
        change = ChangeRequest.objects.create(
            account=stored,
            requested_by=by,
            reason=reason.strip(),
            proposed={name: after[name] for name in sorted(later)},
            base={name: before[name] for name in sorted(later)},
        )
        _tell_reviewers(change, by=by)
        return change


def immediate_fields() -> list[str]:
    """The facts a department changes without review (NEWMEDIA_CHANGE_IMMEDIATE_FIELDS; a name
    that is no kept fact is ignored)."""
    return [n for n in settings.NEWMEDIA_CHANGE_IMMEDIATE_FIELDS if n in AccountChange.FIELDS]


def _tell_reviewers(change: ChangeRequest, *, by) -> None:
    context = {
        "object": str(change.account),
        "department": change.account.department.name,
        "action": str(REQUESTED_LABEL),
        "state": change.get_state_display(),
        "by": by.get_full_name() or by.get_username(),
        "comment": change.reason,
        "link": site_link(change.get_absolute_url()),
    }
    notifications_create(
        [
            notification_build(template="step", context=context, recipient=user)
            for user in reviewers()
            if user.pk != by.pk
        ]
    )


def change_apply(change: ChangeRequest, *, by) -> None:
    """``approve_change``'s after: the requested facts become the registered ones, checked as
    any edit is (a duplicate number, a missing end date: refused with the field named)."""
    account = Account.objects.select_for_update().get(pk=change.account_id)
    registry_services.account_facts_set(account, change.proposed)
    registry_services.account_update(
        account=account,
        version=account.version,
        by=by,
        path=AccountChange.Path.CHANGE_REQUEST,
        reason=change.reason,
    )
