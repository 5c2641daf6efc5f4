import pytest
from django.urls import reverse

from registry.models import Account

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
