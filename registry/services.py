"""Writes to the register's facts. Callers check who may write; these keep the data whole."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .models import Account, Staff

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
def account_update(*, account: Account, version: int) -> Account:
    """Save the changes made to an account that was opened at ``version``; refuse a stale edit."""
    _link_staff(account)
    account.full_clean()
    claimed = Account.objects.filter(pk=account.pk, version=version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise ValidationError(STALE_EDIT, code="stale")
    account.version = version + 1
    account.save()
    return account
