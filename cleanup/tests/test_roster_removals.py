import pytest
from django.urls import reverse

from .. import services
from ..models import Finding, RosterMember
from .factories import csv_file, fine_account, qq_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(department, filer):
    account = fine_account(department, number="612345678")
    return services.roster_upload(
        account=account,
        by=filer,
        upload=csv_file(qq_export([("路人", "路人甲", "1"), ("学生", "学生乙", "2")])),
    )


def _url(roster):
    return reverse("cleanup:roster_removals", args=[roster.account_id])


def test_marking_removals_done_resolves_the_finding(client_for, filer, roster):
    assert Finding.objects.open().filter(account=roster.account, rule="members_not_staff").exists()
    ids = list(RosterMember.objects.filter(roster=roster).values_list("pk", flat=True))
    response = client_for(filer).post(_url(roster), {"members": ids})
    assert response.status_code == 302
    assert not RosterMember.objects.filter(roster=roster, removal_done_at__isnull=True).exists()
    assert (
        not Finding.objects.open().filter(account=roster.account, rule="members_not_staff").exists()
    )


def test_marking_twice_counts_once(filer, roster):
    ids = list(RosterMember.objects.filter(roster=roster).values_list("pk", flat=True))
    assert services.roster_removals_done(roster=roster, by=filer, member_ids=ids) == 2
    assert services.roster_removals_done(roster=roster, by=filer, member_ids=ids) == 0


def test_nothing_selected_is_explained(client_for, filer, roster):
    response = client_for(filer).post(_url(roster), {}, follow=True)
    assert "alert-danger" in response.content.decode()


def test_outsiders_get_404_and_reviewers_cannot_mark(client_for, outsider, reviewer, roster):
    ids = list(RosterMember.objects.filter(roster=roster).values_list("pk", flat=True))
    assert client_for(outsider).post(_url(roster), {"members": ids}).status_code == 404
    assert client_for(reviewer).post(_url(roster), {"members": ids}).status_code == 403
    assert not RosterMember.objects.filter(removal_done_at__isnull=False).exists()
