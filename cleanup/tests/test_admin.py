import pytest
from django.urls import reverse

from approvals.models import Filing

from .. import services
from ..models import Finding
from ..rules import CLOSING_STATES
from .factories import csv_file, days_ago, fine_account, qq_export

pytestmark = pytest.mark.django_db


def test_the_closing_states_are_approvals_own():
    assert set(CLOSING_STATES) <= set(Filing.State.values)


def test_findings_and_rosters_are_read_only(client_for, admin_user, department, filer):
    account = fine_account(department, number="612345678", last_active_on=days_ago(100))
    services.roster_upload(
        account=account, by=filer, upload=csv_file(qq_export([("a", "张三", "1")]))
    )
    services.findings_evaluate()
    client = client_for(admin_user)
    finding = Finding.objects.first()
    assert client.get(reverse("admin:cleanup_finding_changelist")).status_code == 200
    page = client.get(reverse("admin:cleanup_finding_change", args=[finding.pk]))
    assert finding.explanation in page.content.decode()
    assert client.get(reverse("admin:cleanup_finding_add")).status_code == 403
    assert client.get(reverse("admin:cleanup_roster_changelist")).status_code == 200
    assert client.get(reverse("admin:cleanup_roster_delete", args=[1])).status_code == 403


def test_the_account_admin_shows_the_findings(client_for, admin_user, department):
    account = fine_account(department, last_active_on=days_ago(100))
    services.findings_evaluate()
    page = client_for(admin_user).get(reverse("admin:registry_account_change", args=[account.pk]))
    assert Finding.objects.get(account=account).explanation in page.content.decode()
