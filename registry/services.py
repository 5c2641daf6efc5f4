"""Writes to the register's facts. Callers check who may write; these keep the data whole."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Account, AccountChange, Department, PendingImport, Staff
from .uploads import PENDING_FOLDER, generated_name, purge_pending_uploads

STALE_EDIT = _(
    "Someone else changed this account after you opened it. Reload the page to see their "
    "change, then make yours again."
)


def _link_staff(account: Account) -> None:
    """Link the owner and the content reviewer to the staff roster where the name is unambiguous."""
    for link, name_field in (
        ("owner", "owner_name"),
        ("security_contact", "security_contact_name"),
    ):
        name = getattr(account, name_field).strip()
        matches = (
            list(Staff.objects.filter(department_id=account.department_id, name=name)[:2])
            if name
            else []
        )
        setattr(account, link, matches[0] if len(matches) == 1 else None)


def account_create(*, account: Account, by) -> Account:
    """Save a new account built from a form or an import row, after full validation."""
    account.created_by = by
    _link_staff(account)
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def account_update(*, account: Account, version: int, by, path: str, reason: str = "") -> Account:
    """Save the changes made to an account that was opened at ``version``; refuse a stale edit.
    What changed goes into the account's field history, with who and which path."""
    _link_staff(account)
    account.full_clean()
    claimed = Account.objects.filter(pk=account.pk, version=version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise ValidationError(STALE_EDIT, code="stale")
    # Read under the row lock the claim took: nobody changes it between this and the save.
    stored = Account.objects.filter(pk=account.pk).values(*_ATTNAMES.values()).get()
    before = {name: stored[attname] for name, attname in _ATTNAMES.items()}
    account.version = version + 1
    account.save()
    account_changes_record(changed=[(account, before)], by=by, path=path, reason=reason)
    return account


# Each kept fact's column (department_id for department).
_ATTNAMES = {name: Account._meta.get_field(name).attname for name in AccountChange.FIELDS}


def _raw(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def account_facts(account: Account) -> dict:
    """The account's kept facts, raw as the field history and change requests store them."""
    return {name: _raw(getattr(account, attname)) for name, attname in _ATTNAMES.items()}


def account_facts_set(account: Account, facts: dict) -> None:
    """Set raw facts (as ``account_facts`` gives them) on the account, typed again."""
    for name, value in facts.items():
        field = Account._meta.get_field(name)
        setattr(account, field.attname, None if value is None else field.to_python(value))


def account_changes_record(*, changed, by, path: str, reason: str = "") -> int:
    """Keep, for each (account, its facts before) pair, the facts that changed: one row per
    account that changed at all. ``before`` maps field names, or column names, to values."""
    rows = []
    for account, before in changed:
        diff = {}
        for name, attname in _ATTNAMES.items():
            old = _raw(before[name] if name in before else before[attname])
            new = _raw(getattr(account, attname))
            if old != new:
                diff[name] = [old, new]
        if diff:
            rows.append(
                AccountChange(account_id=account.pk, by=by, path=path, reason=reason, changes=diff)
            )
    AccountChange.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


IMPORT_EXPIRED = _(
    "This upload is no longer waiting (it was confirmed, cancelled, or left for over an hour): "
    "upload the file again."
)


def pending_import_create(
    *, user, kind: str, data: bytes, original_name: str, department: Department | None
) -> PendingImport:
    """Keep an upload whose dry run passed until the user confirms or cancels it."""
    stored = default_storage.save(generated_name(PENDING_FOLDER, ".upload"), ContentFile(data))
    try:
        return PendingImport.objects.create(
            user=user,
            kind=kind,
            department=department,
            file=stored,
            original_name=original_name[:255],
        )
    except Exception:
        default_storage.delete(stored)
        raise


def pending_import_get(*, user, token) -> PendingImport:
    """The user's own upload still waiting, or 404 (another user's, expired or gone)."""
    cutoff = timezone.now() - timedelta(seconds=settings.NEWMEDIA_IMPORT_PENDING_SECONDS)
    pending = (
        PendingImport.objects.select_related("department")
        .filter(token=token, user=user, created_at__gte=cutoff)
        .first()
    )
    if pending is None:
        raise Http404(IMPORT_EXPIRED)
    return pending


def pending_import_read(*, pending: PendingImport) -> bytes:
    """The upload's bytes."""
    with default_storage.open(pending.file.name, "rb") as stored:
        return stored.read()


def pending_import_set_options(*, pending: PendingImport, options: dict) -> PendingImport:
    """Keep what the user chose on the dry-run page for the file, for its confirmation."""
    pending.options = options
    pending.save(update_fields=["options"])
    return pending


def pending_import_discard(*, pending: PendingImport) -> None:
    """Delete the upload and its row: confirmed, cancelled or abandoned."""
    name = pending.file.name
    PendingImport.objects.filter(pk=pending.pk).delete()
    if name:
        default_storage.delete(name)


def pending_imports_purge() -> int:
    """Delete every upload left waiting longer than ``NEWMEDIA_IMPORT_PENDING_SECONDS``, the
    site's and the admin's; how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.NEWMEDIA_IMPORT_PENDING_SECONDS)
    stale = list(PendingImport.objects.filter(created_at__lt=cutoff))
    for pending in stale:
        pending_import_discard(pending=pending)
    return len(stale) + purge_pending_uploads()
