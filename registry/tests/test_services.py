import pytest
from django.core.exceptions import ValidationError

from registry import services
from registry.models import Account
from registry.tests.factories import AccountFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_it_links_owner_and_reviewer_to_the_staff_roster(department, filer):
    owner = StaffFactory(department=department, name="王芳")
    account = AccountFactory.build(
        department=department, owner_name="王芳", security_contact_name="无此人"
    )
    services.account_create(account=account, by=filer)
    assert (account.owner, account.security_contact, account.created_by) == (owner, None, filer)


def test_it_does_not_guess_between_two_staff_of_the_same_name(department, filer):
    StaffFactory(department=department, name="王芳")
    StaffFactory(department=department, name="王芳")
    account = services.account_create(
        account=AccountFactory.build(department=department, owner_name="王芳"), by=filer
    )
    assert account.owner is None


def test_it_saves_an_edit_made_on_the_current_version():
    account = AccountFactory()
    account.purpose = "新的用途"
    services.account_update(account=account, version=1, by=None, path="site")
    stored = Account.objects.get(pk=account.pk)
    assert (stored.purpose, stored.version) == ("新的用途", 2)


def test_it_refuses_an_edit_made_on_an_old_version_and_keeps_the_newer_one():
    account = AccountFactory()
    first, second = Account.objects.get(pk=account.pk), Account.objects.get(pk=account.pk)
    first.purpose = "甲的修改"
    services.account_update(account=first, version=1, by=None, path="site")
    second.purpose = "乙的修改"
    with pytest.raises(ValidationError) as refused:
        services.account_update(account=second, version=1, by=None, path="site")
    assert refused.value.messages == [str(services.STALE_EDIT)]
    assert Account.objects.get(pk=account.pk).purpose == "甲的修改"


def test_it_validates_before_saving(department, filer):
    account = AccountFactory.build(department=department, category="temporary_group")
    with pytest.raises(ValidationError):
        services.account_create(account=account, by=filer)
    assert not Account.objects.exists()
