"""The database itself refuses data that breaks the form's rules, whoever writes it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from registry.models import Account, forbidden_name_match
from registry.tests.factories import AccountFactory, DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(**fields)


def test_it_refuses_a_second_account_with_the_same_number_on_a_platform():
    AccountFactory(platform="qq_group", number="123456")
    _refused(platform="qq_group", number="123456")


def test_it_allows_the_same_number_on_another_platform_and_many_blank_numbers():
    AccountFactory(platform="qq_group", number="123456")
    AccountFactory(platform="douyin", number="123456")
    AccountFactory(platform="wechat_group", number="")
    AccountFactory(platform="wechat_group", number="")
    assert Account.objects.count() == 4


def test_it_refuses_a_temporary_group_without_a_task_end_date():
    _refused(category="temporary_group", task_end_on=None)


def test_it_refuses_a_task_that_ends_before_the_group_was_created():
    _refused(
        category="temporary_group",
        created_on=datetime.date(2024, 5, 1),
        task_end_on=datetime.date(2024, 4, 1),
    )


def test_it_refuses_a_merge_that_names_no_survivor():
    _refused(disposition="merge", merge_into=None)


def test_it_refuses_a_survivor_on_an_account_that_is_not_merged():
    _refused(disposition="keep", merge_into=AccountFactory())


def test_it_refuses_an_account_merged_into_itself():
    account = AccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(disposition="merge", merge_into=account)


def test_it_refuses_an_account_type_on_anything_but_an_official_account():
    _refused(platform="qq_group", account_type="subscription")
    AccountFactory(platform="wechat_official", account_type="service")


@pytest.mark.parametrize("field", ["platform", "naming_level", "category", "disposition"])
def test_it_refuses_a_value_outside_the_choices(field):
    _refused(**{field: "nonsense"})


def test_it_refuses_a_leaving_date_for_someone_in_post():
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffFactory(status="active", left_on=datetime.date(2024, 1, 1))
    StaffFactory(status="left", left_on=datetime.date(2024, 1, 1))


def test_it_explains_a_constraint_in_words_on_validation():
    AccountFactory(platform="qq_group", number="123456")
    duplicate = AccountFactory.build(
        department=DepartmentFactory(), platform="qq_group", number="123456"
    )
    with pytest.raises(ValidationError) as refused:
        duplicate.full_clean()
    assert refused.value.messages == [str(Account._meta.constraints[0].violation_error_message)]


def test_it_flags_names_matching_a_forbidden_pattern(settings):
    assert forbidden_name_match("江西省财政厅工作群") == "财政厅"
    assert forbidden_name_match("会计学院工作群") is None
    settings.NEWMEDIA_FORBIDDEN_NAME_PATTERNS = ["省政府", r"^测试"]
    assert forbidden_name_match("测试群") == r"^测试"
    assert forbidden_name_match("江西省财政厅工作群") is None


def test_it_lists_the_columns_missing_for_a_submission():
    account = AccountFactory.build(
        platform="wechat_official", number="", purpose="", disposition="dissolve"
    )
    field = Account._meta.get_field
    assert account.missing_for_submission() == [
        str(field(name).verbose_name)
        for name in ("purpose", "number", "account_type", "disposition_reason")
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_platform_shown_is_djangos_display_for_every_platform(language):
    with translation.override(language):
        for platform in Account.Platform:
            account = Account(name="群", platform=platform)
            assert account.platform_display == str(account.get_platform_display())
            assert str(account) == f"群（{account.get_platform_display()}）"
    assert Account(name="群", platform="gone").platform_display == "gone"  # a value since removed
