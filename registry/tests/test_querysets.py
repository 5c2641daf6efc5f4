"""One rule decides what each user sees; every view starts from it."""

import pytest
from django.contrib.auth.models import AnonymousUser

from registry.models import Account, Department, Staff
from registry.tests.factories import AccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(department, other_department):
    return {
        "mine": AccountFactory(department=department),
        "theirs": AccountFactory(department=other_department),
        "my_staff": StaffFactory(department=department),
        "their_staff": StaffFactory(department=other_department),
    }


def test_it_shows_a_filer_only_their_departments_rows(data, filer, department):
    assert list(Account.objects.for_user(filer)) == [data["mine"]]
    assert list(Staff.objects.for_user(filer)) == [data["my_staff"]]
    assert list(Department.objects.for_user(filer)) == [department]


def test_it_shows_the_outsider_none_of_the_filers_rows(data, outsider, other_department):
    assert list(Account.objects.for_user(outsider)) == [data["theirs"]]
    assert list(Department.objects.for_user(outsider)) == [other_department]


def test_it_shows_a_filer_of_two_departments_both(data, filer, other_department):
    other_department.filers.add(filer)
    filer = type(filer).objects.get(pk=filer.pk)  # a new request: memberships read afresh
    assert set(Account.objects.for_user(filer)) == {data["mine"], data["theirs"]}


def test_it_shows_a_reviewer_everything(data, reviewer, admin_user):
    assert Account.objects.for_user(reviewer).count() == 2
    assert Account.objects.for_user(admin_user).count() == 2
    assert Staff.objects.for_user(reviewer).count() == 2


def test_it_shows_nothing_to_a_user_without_a_role_or_a_login(data):
    assert not Account.objects.for_user(UserFactory()).exists()
    assert not Account.objects.for_user(AnonymousUser()).exists()
    assert not Department.objects.for_user(AnonymousUser()).exists()


def test_it_searches_name_number_and_owner(data):
    data["mine"].owner_name = "欧阳修"
    data["mine"].save()
    assert list(Account.objects.search("欧阳")) == [data["mine"]]
    assert list(Account.objects.search(data["theirs"].number)) == [data["theirs"]]
    assert Account.objects.search("  ").count() == 2
