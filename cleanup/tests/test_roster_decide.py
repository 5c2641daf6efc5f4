import pytest
from django.urls import reverse

from registry.tests.factories import DepartmentFactory, StaffFactory

from .. import services
from ..models import MemberMatch, RosterMember
from .factories import csv_file, fine_account, qq_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def ambiguous(department, filer):
    StaffFactory(department=department, name="李娜")
    StaffFactory(department=DepartmentFactory(), name="李娜")
    account = fine_account(department, number="612345678")
    roster = services.roster_upload(
        account=account, by=filer, upload=csv_file(qq_export([("娜娜", "李娜", "1")]))
    )
    return RosterMember.objects.get(roster=roster)


def _url(member):
    return reverse("cleanup:roster_decide", args=[member.roster.account_id, member.pk])


def test_a_person_decides_who_it_is(client_for, filer, department, ambiguous):
    mine = next(
        pk
        for pk in ambiguous.candidates
        if StaffFactory._meta.model.objects.get(pk=pk).department_id == department.pk
    )
    response = client_for(filer).post(_url(ambiguous), {"staff": str(mine)})
    assert response.status_code == 302
    ambiguous.refresh_from_db()
    assert (ambiguous.match, ambiguous.staff_id, ambiguous.basis) == (
        MemberMatch.OWN_DEPARTMENT,
        mine,
        "decided",
    )


def test_not_staff_is_a_decision_too(client_for, filer, ambiguous):
    client_for(filer).post(_url(ambiguous), {"staff": "none"})
    ambiguous.refresh_from_db()
    assert ambiguous.match == MemberMatch.NOT_STAFF


def test_only_a_candidate_may_be_chosen(client_for, filer, ambiguous):
    other = StaffFactory()
    client_for(filer).post(_url(ambiguous), {"staff": str(other.pk)})
    ambiguous.refresh_from_db()
    assert ambiguous.match == MemberMatch.AMBIGUOUS


def test_outsiders_get_404(client_for, outsider, ambiguous):
    assert client_for(outsider).post(_url(ambiguous), {"staff": "none"}).status_code == 404


def test_the_roster_page_offers_the_candidates(client_for, filer, ambiguous):
    url = reverse("cleanup:roster_detail", args=[ambiguous.roster.account_id])
    body = client_for(filer).get(url, {"mark": "ambiguous"}).content.decode()
    assert _url(ambiguous) in body
    for pk in ambiguous.candidates:
        assert f'value="{pk}"' in body
