"""The personal-data rule: who sees phone numbers whole, how they are masked, what is recorded."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from audit.models import AuditEvent
from registry.models import Account
from registry.personal_data import (
    mask_phone,
    may_export_phones,
    may_see_phones,
    personal_data_exported,
    personal_data_viewed,
    shown_phone,
)
from registry.tests.factories import AccountFactory, StaffFactory, UserFactory


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("0791-83800000", "0791-****0000"),
        ("010-1234567", "010-***4567"),
        ("079183800000", "0791****0000"),
        ("+86 138 0013 8000", "*************8000"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_it_masks_the_middle_of_a_number(value, masked):
    assert mask_phone(value) == masked


def test_it_shows_a_departments_numbers_to_its_filers_and_to_reviewers(
    filer, outsider, reviewer, admin_user, department
):
    assert may_see_phones(filer, department.pk)
    assert may_see_phones(reviewer, department.pk)
    assert may_see_phones(admin_user, department.pk)
    assert not may_see_phones(outsider, department.pk)
    assert not may_see_phones(AnonymousUser(), department.pk)
    assert not may_see_phones(UserFactory(is_staff=True), department.pk)


def test_it_masks_the_number_for_whoever_may_not_see_it(filer, outsider, department):
    assert shown_phone("13800138000", user=filer, department_id=department.pk) == "13800138000"
    assert shown_phone("13800138000", user=outsider, department_id=department.pk) == ("138****8000")


def test_it_lets_only_holders_of_the_permission_export_numbers_unmasked(
    filer, reviewer, admin_user
):
    assert may_export_phones(admin_user)
    assert not may_export_phones(reviewer)
    assert not may_export_phones(filer)
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="export_personal_data"))
    assert may_export_phones(clerk)


def test_it_records_one_row_naming_the_record_shown_whole(filer, outsider, department):
    account = AccountFactory(department=department)
    assert personal_data_viewed(user=filer, objects=[account], detail="/1/") == 1
    event = AuditEvent.objects.get()
    assert (event.action, event.user, event.object_type, event.object_id) == (
        AuditEvent.Action.PERSONAL_DATA_VIEWED,
        filer,
        "registry.Account",
        str(account.pk),
    )
    # Masked for the outsider, so nothing personal was shown.
    assert personal_data_viewed(user=outsider, objects=[account]) == 0
    assert AuditEvent.objects.count() == 1


def test_it_records_nothing_for_a_record_without_a_number(filer, department):
    account = AccountFactory(department=department, owner_phone="")
    assert personal_data_viewed(user=filer, objects=[account]) == 0
    assert not AuditEvent.objects.exists()


def test_it_counts_the_rows_of_a_list_in_one_row(reviewer, department, other_department):
    staff = [StaffFactory(department=department), StaffFactory(department=other_department)]
    assert personal_data_viewed(user=reviewer, objects=staff, detail="/admin/") == 2
    event = AuditEvent.objects.get()
    assert event.object_id == ""
    assert "2 registry.Staff rows" in event.detail


def test_it_records_an_unmasked_export_with_its_reason(admin_user):
    personal_data_exported(
        user=admin_user, model=Account, rows=3, file_format="xlsx", reason="核对联系人"
    )
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.PERSONAL_DATA_EXPORTED
    assert event.detail == "registry.Account, 3 rows, xlsx: 核对联系人"
