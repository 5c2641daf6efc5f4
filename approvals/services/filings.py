"""Every change of an account's approval state, and the filer's writes that depend on it.

Each transition runs the same way, whoever calls it (a page, the bulk queue, the admin, a
command): the permission is checked for the caller, the guard is checked with its reasons, and
the transition, the save and its log row happen in one transaction. django-fsm-2 does not check
``permission=`` when a transition method is called, so the check lives here.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from audit.models import AuditEvent
from audit.services import audit_record
from cleanup import services as cleanup_services
from registry import roles
from registry import services as registry_services
from registry.models import Account, Department
from registry.uploads import generated_name, validate_upload

from ..models import CLOSURE_KINDS, COMMENT_REQUIRED, Filing
from .notifications import step_notify

# The transitions in the order pages offer them.
TRANSITIONS = (
    "submit",
    "return_for_revision",
    "approve",
    "register",
    "order_closure",
    "request_closure",
    "report_closed",
    "confirm_closed",
)
REVIEWER_TRANSITIONS = Filing.REVIEWER_STEPS

CREATED_LABEL = _("Created")
REVIEWER_ONLY = _("Only a reviewer may do this.")
FILER_ONLY = _("Only a filer of %(department)s may do this.")
NOT_FROM_STATE = _("“%(action)s” is not possible in the state “%(state)s”.")
STALE_STATE = _(
    "Someone else changed this record while you were looking at it: it is now %(state)s. "
    "Reload the page and check it before you act again."
)
KIND_REQUIRED = _("Choose the kind of closure: merge, deregister, take down or dissolve.")
REASON_REQUIRED = _("Give the reason for the closure.")
SURVIVOR_REQUIRED = _("A merge names the account it is merged into.")
SURVIVOR_IS_SELF = _("An account cannot be merged into itself.")
SURVIVOR_CLOSING = _("The account to merge into is itself being closed.")
NOT_EDITABLE = _(
    "The account is %(state)s: it can only be changed while it is a draft or returned."
)
NOT_DEPARTMENT_FILER = _("You do not file for %(department)s.")
EVIDENCE_REQUIRED = _("Upload a screenshot that shows the closure done.")


# The machinery below serves every state machine of the app (filings and department returns):
# each model names its steps' labels, guards and reviewer steps, its department and what the
# audit trail records it as.


def _meta(model, name: str):
    return getattr(model, name)._django_fsm


def step_label(model, name: str) -> str:
    """The translated name of a step of the model's state machine."""
    return str(model.STEP_LABELS[name])


def step_permission_problem(instance, name: str, user) -> str | None:
    """Why the user's role may not take this step on this record, or None."""
    transition = next(iter(_meta(type(instance), name).transitions.values()))
    if transition.has_perm(instance, user):
        return None
    if name in type(instance).REVIEWER_STEPS:
        return str(REVIEWER_ONLY)
    return FILER_ONLY % {"department": instance.owning_department().name}


def step_leaves_state(instance, name: str) -> bool:
    """Whether the step starts from the record's current state."""
    return _meta(type(instance), name).has_transition(instance.state)


def step_problems(instance, name: str) -> list[str]:
    """Why the step cannot be taken now (state or guard), in words; empty when it can."""
    if not step_leaves_state(instance, name):
        label = step_label(type(instance), name)
        return [NOT_FROM_STATE % {"action": label, "state": instance.get_state_display()}]
    guard = type(instance).STEP_GUARDS.get(name)
    return guard(instance) if guard else []


def step_denied(reason: str, *, by, instance, name: str) -> PermissionDenied:
    """The refusal to raise, recorded once in the audit trail (the middleware skips it)."""
    audit_record(
        action=AuditEvent.Action.ACCESS_DENIED,
        user=by,
        outcome=AuditEvent.Outcome.FAILURE,
        obj=instance.audited_object(),
        detail=f"{name}: {reason}",
    )
    refusal = PermissionDenied(reason)
    refusal.audited = True
    return refusal


def _stale(instance) -> ValidationError:
    model = type(instance)
    state = model.objects.filter(pk=instance.pk).values_list("state", flat=True).first()
    return ValidationError(STALE_STATE % {"state": model.State(state).label}, code="stale")


def step_apply(
    instance,
    name: str,
    *,
    by,
    comment: str = "",
    expected_state: str | None = None,
    **arguments,
):
    """Check and run one step, then save it with its log and audit rows in one transaction."""
    if expected_state and instance.state != expected_state:
        raise _stale(instance)
    if reason := step_permission_problem(instance, name, by):
        raise step_denied(reason, by=by, instance=instance, name=name)
    if problems := step_problems(instance, name):
        raise ValidationError(problems, code="guard")
    previous_state = instance.state
    try:
        with transaction.atomic():
            getattr(instance, name)(by=by, description=comment.strip() or None, **arguments)
            if instance.state != previous_state:
                instance.state_changed_at = timezone.now()
            instance.save()
            audit_record(
                action=AuditEvent.Action.TRANSITION,
                user=by,
                obj=instance.audited_object(),
                detail=f"{name}: {previous_state} → {instance.state}",
            )
            step_notify(instance=instance, name=name, by=by, comment=comment)
    except ConcurrentTransition:
        # The optimistic lock found another change first; the atomic block dropped our log row.
        raise _stale(instance) from None
    return instance


def transition_label(name: str) -> str:
    """The translated name of a filing's transition, as buttons and messages show it."""
    return step_label(Filing, name)


def permission_problem(*, filing: Filing, name: str, user) -> str | None:
    """Why the user's role may not take this transition on this filing, or None."""
    return step_permission_problem(filing, name, user)


def leaves_state(*, filing: Filing, name: str) -> bool:
    """Whether the transition starts from the filing's current state."""
    return step_leaves_state(filing, name)


def transition_problems(*, filing: Filing, name: str) -> list[str]:
    """Why the transition cannot be taken now (state or guard), in words; empty when it can."""
    return step_problems(filing, name)


def filing_submit(*, filing: Filing, by, comment: str = "", expected_state=None) -> Filing:
    """A filer hands in the account for review (R6 acknowledged, columns complete)."""
    return step_apply(filing, "submit", by=by, comment=comment, expected_state=expected_state)


def filing_return_for_revision(*, filing: Filing, by, comment: str, expected_state=None) -> Filing:
    """A reviewer sends the account back to the filer, saying what to change."""
    if not comment.strip():
        raise ValidationError({"comment": COMMENT_REQUIRED})
    return step_apply(
        filing,
        "return_for_revision",
        by=by,
        comment=comment,
        expected_state=expected_state,
    )


def filing_approve(*, filing: Filing, by, comment: str = "", expected_state=None) -> Filing:
    """A reviewer approves an account in the school's name (R2) that is kept."""
    return step_apply(filing, "approve", by=by, comment=comment, expected_state=expected_state)


def filing_register(*, filing: Filing, by, comment: str = "", expected_state=None) -> Filing:
    """A reviewer registers an account in a department's or a work's name (R2) that is kept."""
    return step_apply(filing, "register", by=by, comment=comment, expected_state=expected_state)


def _check_closure(filing: Filing, kind: str, reason: str, merge_into: Account | None) -> None:
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


def _close(name, *, filing, by, kind, reason, merge_into, comment, expected_state) -> Filing:
    _check_closure(filing, kind, reason, merge_into)
    filing = step_apply(
        filing,
        name,
        by=by,
        comment=comment or reason,
        expected_state=expected_state,
        kind=kind,
        reason=reason.strip(),
        merge_into=merge_into if kind == Account.Disposition.MERGE else None,
    )
    # A decided closure answers the account's findings (and may settle a duplicate's).
    cleanup_services.findings_refresh(department_ids={filing.account.department_id})
    return filing


def filing_order_closure(
    *,
    filing: Filing,
    by,
    kind: str,
    reason: str,
    merge_into: Account | None = None,
    comment: str = "",
    expected_state=None,
) -> Filing:
    """A reviewer orders the account merged, deregistered, taken down or dissolved (R3, R4)."""
    return _close(
        "order_closure",
        filing=filing,
        by=by,
        kind=kind,
        reason=reason,
        merge_into=merge_into,
        comment=comment,
        expected_state=expected_state,
    )


def filing_request_closure(
    *,
    filing: Filing,
    by,
    kind: str,
    reason: str,
    merge_into: Account | None = None,
    comment: str = "",
    expected_state=None,
) -> Filing:
    """A filer asks to close a kept account."""
    return _close(
        "request_closure",
        filing=filing,
        by=by,
        kind=kind,
        reason=reason,
        merge_into=merge_into,
        comment=comment,
        expected_state=expected_state,
    )


def filing_report_closed(
    *,
    filing: Filing,
    by,
    evidence: UploadedFile | None,
    comment: str = "",
    expected_state=None,
) -> Filing:
    """A filer reports the closure done, with a screenshot as evidence."""
    if evidence is None:
        raise ValidationError({"evidence": EVIDENCE_REQUIRED})
    try:
        extension = validate_upload(
            evidence,
            kinds=("png", "jpeg"),
            max_bytes=settings.NEWMEDIA_EVIDENCE_MAX_BYTES,
        )
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.messages}) from None
    # Checked before the file is stored, so a refused report leaves nothing behind.
    if reason := permission_problem(filing=filing, name="report_closed", user=by):
        raise step_denied(reason, by=by, instance=filing, name="report_closed")
    if problems := transition_problems(filing=filing, name="report_closed"):
        raise ValidationError(problems, code="guard")
    stored = default_storage.save(generated_name("evidence", extension), evidence)
    try:
        return step_apply(
            filing,
            "report_closed",
            by=by,
            comment=comment,
            expected_state=expected_state,
            evidence_name=stored,
        )
    except Exception:
        default_storage.delete(stored)
        raise


def filing_confirm_closed(*, filing: Filing, by, comment: str = "", expected_state=None) -> Filing:
    """A reviewer confirms the closure the filer reported; the account stays in the register."""
    return step_apply(
        filing, "confirm_closed", by=by, comment=comment, expected_state=expected_state
    )


SERVICES = {
    "submit": filing_submit,
    "return_for_revision": filing_return_for_revision,
    "approve": filing_approve,
    "register": filing_register,
    "order_closure": filing_order_closure,
    "request_closure": filing_request_closure,
    "report_closed": filing_report_closed,
    "confirm_closed": filing_confirm_closed,
}


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
        account = registry_services.account_update(account=account, version=version)
        # A rename resolves (or opens) findings here and on the department's other accounts.
        cleanup_services.findings_refresh(department_ids={d.pk for d in departments})
        return account


def filings_bulk_review(
    *, filings, action: str, by, comment: str = ""
) -> tuple[list[Filing], list[tuple[Filing, str]]]:
    """Take one reviewer action on many submitted filings, each row checked and saved on its own.

    Returns the filings done and, for the others, why not; one refusal does not undo the rest.
    """
    done, refused = [], []
    for filing in filings:
        try:
            SERVICES[action](
                filing=filing,
                by=by,
                comment=comment,
                expected_state=Filing.State.SUBMITTED,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            refused.append((filing, "；".join(messages)))
        else:
            done.append(filing)
    return done, refused
