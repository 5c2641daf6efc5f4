"""The findings on the account page and in the filer's dashboard (approvals' views)."""

import re

import pytest
from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import filing_in

from .. import services
from ..models import Finding
from .factories import days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def zombie(department):
    filing = filing_in(Filing.State.DRAFT, department=department, last_active_on=days_ago(100))
    services.findings_evaluate()
    return filing.account


def test_the_account_page_lists_the_findings(client_for, filer, zombie):
    body = client_for(filer).get(zombie.get_absolute_url()).content.decode()
    finding = Finding.objects.open().get(account=zombie, rule="zombie_group")
    assert finding.explanation in body
    assert reverse("cleanup:roster_detail", args=[zombie.pk]) in body


def test_the_filers_dashboard_lists_what_to_fix(client_for, filer, zombie):
    response = client_for(filer).get(reverse("approvals:dashboard"))
    assert {f.account_id for f in response.context["filer_findings"]} == {zombie.pk}


def test_the_outsiders_dashboard_does_not(client_for, outsider, zombie):
    response = client_for(outsider).get(reverse("approvals:dashboard"))
    assert response.context["filer_findings"] == []
    assert client_for(outsider).get(zombie.get_absolute_url()).status_code == 404


def test_a_finding_cites_the_notices_words_not_a_rule_code(client_for, filer, zombie):
    body = client_for(filer).get(zombie.get_absolute_url()).content.decode()
    assert "依据通知一、2：“清理因阶段性工作临时组建" in body
    # The forms' random CSRF tokens may hold "R3" by chance (one did): they are not the text.
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    assert "R3" not in body
