import pytest
from django.urls import reverse

from registry.models import Account
from registry.tests.factories import DepartmentFactory, StaffFactory

from .. import services
from ..models import MemberMatch
from .factories import csv_file, fine_account, qq_export

pytestmark = pytest.mark.django_db


def _url(account, query=""):
    return reverse("cleanup:roster_detail", args=[account.pk]) + query


@pytest.fixture
def group(department, filer):
    account = fine_account(department, number="612345678")
    services.roster_upload(
        account=account,
        by=filer,
        upload=csv_file(qq_export([("路人", "路人甲", "1"), ("学生", "学生乙", "2")])),
    )
    return account


def test_it_shows_the_filer_the_members_and_who_must_leave(client_for, filer, group):
    response = client_for(filer).get(_url(group, "?mark=to_remove"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "路人甲" in body and "学生乙" in body
    assert reverse("cleanup:roster_removals", args=[group.pk]) in body


def test_it_filters_by_mark(client_for, filer, group):
    body = client_for(filer).get(_url(group, f"?mark={MemberMatch.OWN_DEPARTMENT}")).content
    assert "路人甲" not in body.decode()


def test_reviewers_read_it_without_the_forms(client_for, reviewer, group):
    body = client_for(reviewer).get(_url(group, "?mark=to_remove")).content.decode()
    assert "路人甲" in body
    assert reverse("cleanup:roster_upload", args=[group.pk]) not in body
    assert reverse("cleanup:roster_removals", args=[group.pk]) not in body


def test_another_departments_roster_answers_404(client_for, outsider, group):
    assert client_for(outsider).get(_url(group)).status_code == 404


def test_a_publishing_account_has_no_roster_page(client_for, filer, department):
    account = fine_account(
        department, platform=Account.Platform.WEIBO, category=Account.Category.PUBLISHING
    )
    assert client_for(filer).get(_url(account)).status_code == 404


def test_it_escapes_what_the_file_said(client_for, filer, department):
    account = fine_account(department, number="612345679")
    services.roster_upload(
        account=account,
        by=filer,
        upload=csv_file(qq_export([("x", "<script>alert(1)</script>", "1")], title=False)),
    )
    body = client_for(filer).get(_url(account)).content.decode()
    assert "<script>alert(1)</script>" not in body


def test_it_needs_a_login(client, group):
    assert client.get(_url(group)).status_code == 302


def test_a_filer_learns_a_member_is_staff_elsewhere_but_not_who(
    client_for, filer, reviewer, department
):
    """Issue 14, item 2: a roster of guessed names listed other departments' staff, with their
    departments, to the filer. The check stays (not an outsider); the identity goes."""
    account = fine_account(department, number="612345678")
    StaffFactory(department=DepartmentFactory(name="财税金融学院"), name="李四")
    for name in ("甲学院", "乙学院"):  # two namesakes elsewhere: the member is ambiguous
        StaffFactory(department=DepartmentFactory(name=name), name="王五")
    services.roster_upload(
        account=account,
        by=filer,
        upload=csv_file(qq_export([("四哥", "李四", "1"), ("五五", "王五", "2")])),
    )
    body = client_for(filer).get(_url(account)).content.decode()
    assert body.count("在编教职工（其他单位）") == 3
    assert not any(name in body for name in ("财税金融学院", "甲学院", "乙学院"))
    seen = client_for(reviewer).get(_url(account)).content.decode()
    assert all(name in seen for name in ("财税金融学院", "甲学院", "乙学院"))
