import pytest
from django.urls import reverse

from .. import rosters
from ..models import Roster
from .factories import csv_file, fine_account, qq_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(department):
    return fine_account(department, number="612345678")


def _url(account):
    return reverse("cleanup:roster_upload", args=[account.pk])


def test_it_uploads_and_redirects_to_the_roster(client_for, filer, group):
    response = client_for(filer).post(
        _url(group), {"file": csv_file(qq_export([("a", "张三", "1")]))}
    )
    assert response.status_code == 302
    assert Roster.objects.get(account=group).member_count == 1


def test_it_explains_a_wrong_groups_file_and_stores_nothing(client_for, filer, group):
    upload = csv_file(qq_export([("a", "张三", "1")], group_number="699999999"))
    response = client_for(filer).post(_url(group), {"file": upload})
    assert response.status_code == 400
    assert "699999999" in response.content.decode()
    assert not Roster.objects.exists()


def test_it_offers_the_columns_when_it_cannot_recognise_them(client_for, filer, group):
    client = client_for(filer)
    rows = [["编号", "称呼"], ["1", "张三"]]
    response = client.post(_url(group), {"file": csv_file(rows)})
    assert response.status_code == 400
    assert "称呼" in response.content.decode()
    response = client.post(
        _url(group), {"file": csv_file(rows), "header_row": "1", "column_card": "1"}
    )
    assert response.status_code == 302
    assert Roster.objects.get(account=group).member_count == 1


def test_a_mapping_without_a_name_column_is_refused(client_for, filer, group):
    response = client_for(filer).post(
        _url(group), {"file": csv_file([["a"], ["1"]]), "column_member_number": "0"}
    )
    assert response.status_code == 400
    assert not Roster.objects.exists()


def test_outsiders_get_404_and_reviewers_403(client_for, outsider, reviewer, group):
    upload = {"file": csv_file(qq_export([("a", "张三", "1")]))}
    assert client_for(outsider).post(_url(group), upload).status_code == 404
    upload = {"file": csv_file(qq_export([("a", "张三", "1")]))}
    assert client_for(reviewer).post(_url(group), upload).status_code == 403
    assert not Roster.objects.exists()


def test_it_refuses_a_get_and_a_post_without_the_csrf_token(client_for, filer, group):
    client = client_for(filer)
    assert client.get(_url(group)).status_code == 405
    upload = {"file": csv_file(qq_export([("a", "张三", "1")]))}
    assert client.post_without_token(_url(group), upload).status_code == 403


def test_duplicates_are_listed_by_row(client_for, filer, group):
    upload = csv_file(qq_export([("a", "张三", "1"), ("b", "张三", "1")]))
    response = client_for(filer).post(_url(group), {"file": upload})
    assert response.status_code == 400
    assert not Roster.objects.exists()
    assert response.context["upload_form"].non_field_errors() == [
        str(rosters.DUPLICATE % {"row": 4, "first": 3, "who": "张三"})
    ]
