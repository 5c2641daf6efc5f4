"""Taking a step of any of the app's state machines: the one way every caller does it.

A page, the bulk queue, the admin, a command and a task all call :func:`step_take`. It reads
the step from the model's table (``Model.machine``, approvals/models/steps.py): the comment
and the step's arguments are checked, then the caller's permission (django-fsm-2 does not
check ``permission=`` when a transition method is called), then the guard with its reasons;
an upload is stored only then; the transition, the save, its log row, its audit row, its
notifications and the step's ``after`` happen in one transaction.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from audit.models import AuditEvent
from audit.services import audit_record
from registry.uploads import generated_name, validate_upload

from ..models.steps import FILER_ONLY, NOT_FROM_STATE, REVIEWER_ONLY
from .notifications import step_notify

# The refusals every step may answer with, for the pages and the tests.
__all__ = [
    "FILER_ONLY",
    "NOT_FROM_STATE",
    "REVIEWER_ONLY",
    "STALE_STATE",
    "step_denied",
    "step_label",
    "step_permissions_grant",
    "step_take",
]

STALE_STATE = _(
    "Someone else changed this record while you were looking at it: it is now %(state)s. "
    "Reload the page and check it before you act again."
)


def step_label(model, name: str) -> str:
    """The translated name of a step of the model's state machine."""
    return str(model.machine[name].label)


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


def _checked_upload(step, arguments: dict) -> tuple[object, str]:
    """The step's file and its checked extension, or a form error naming the field."""
    upload = step.upload
    file = arguments.get(upload.field)
    if file is None:
        raise ValidationError({upload.field: upload.required})
    try:
        extension = validate_upload(
            file, kinds=upload.kinds, max_bytes=getattr(settings, upload.max_bytes_setting)
        )
    except ValidationError as exc:
        raise ValidationError({upload.field: exc.messages}) from None
    return file, extension


def step_take(
    instance,
    name: str,
    *,
    by,
    comment: str = "",
    expected_state: str | None = None,
    **arguments,
):
    """Check and take one step, then save it with its log and audit rows in one transaction."""
    machine = type(instance).machine
    step = machine[name]
    if step.comment_required and not comment.strip():
        raise ValidationError({"comment": step.comment_required})
    if step.arguments:
        arguments = import_string(step.arguments)(instance, by=by, comment=comment, **arguments)
        comment = arguments.pop("comment", comment)
    if step.upload:
        file, extension = _checked_upload(step, arguments)
    if expected_state and instance.state != expected_state:
        raise _stale(instance)
    # Someone else acted since the record was read (a leader signed the level): say so, rather
    # than answer from the record as it was read.
    if not _as_read(instance):
        raise _stale(instance)
    if reason := machine.permission_problem(instance, name, by):
        raise step_denied(reason, by=by, instance=instance, name=name)
    if problems := machine.problems(instance, name):
        raise ValidationError(problems, code="guard")
    # Stored only now, so a refused step leaves no file behind; removed again if it fails.
    stored = None
    if step.upload:
        stored = default_storage.save(generated_name(step.upload.folder, extension), file)
        arguments[step.upload.field] = stored
    try:
        return _take(instance, step, by=by, comment=comment, arguments=arguments)
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise


def _as_read(instance, *, lock: bool = False) -> bool:
    """Whether the record's state (and what else its machine versions) is as it was read."""
    fields = type(instance).machine.version_fields
    rows = type(instance).objects.filter(pk=instance.pk)
    if lock:
        rows = rows.select_for_update()
    return rows.values(*fields).first() == {f: getattr(instance, f) for f in fields}


def _take(instance, step, *, by, comment: str, arguments: dict):
    previous_state = instance.state
    try:
        with transaction.atomic():
            # Again under the row's lock: two leaders signing one level at once, whatever the
            # state, the second is told.
            if not _as_read(instance, lock=True):
                raise ConcurrentTransition
            getattr(instance, step.name)(by=by, description=comment.strip() or None, **arguments)
            if instance.state != previous_state:
                instance.state_changed_at = timezone.now()
            instance.save()
            audit_record(
                action=AuditEvent.Action.TRANSITION,
                user=by,
                obj=instance.audited_object(),
                detail=f"{step.name}: {previous_state} → {instance.state}",
            )
            step_notify(instance=instance, name=step.name, by=by, comment=comment)
            if step.after:
                import_string(step.after)(instance, by=by)
    except ConcurrentTransition:
        # The optimistic lock found another change first; the atomic block dropped our log row.
        raise _stale(instance) from None
    return instance


def step_permissions_grant(*, using: str = "default") -> None:
    """Give each role the permissions of its steps, as the machines' tables say (``migrate``
    runs this after every run, so a new step's permission reaches its role with no migration)."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    for model in apps.get_app_config("approvals").get_models():
        if not hasattr(model, "machine"):
            continue
        machine = model.machine
        for role, codenames in machine.grants().items():
            group = Group.objects.using(using).filter(name=role).first()
            if group is None:  # a database without the roles yet (or flushed by a test)
                continue
            group.permissions.add(
                *Permission.objects.using(using).filter(
                    content_type__app_label=machine.app_label, codename__in=codenames
                )
            )
