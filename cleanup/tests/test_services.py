"""The evaluation is incremental: new, still open, changed, resolved; a rerun writes nothing."""

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from registry.models import Account

from .. import services, tasks
from ..models import Finding
from .factories import days_ago, fine_account

pytestmark = pytest.mark.django_db
WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_it_records_new_findings_then_writes_nothing_on_a_rerun(department):
    fine_account(department, name="省财政厅群", purpose="转发政策")
    fine_account(department, last_active_on=days_ago(100))
    first = services.findings_evaluate()
    assert (first.new, first.resolved) == (2, 0)
    with CaptureQueriesContext(connection) as queries:
        again = tasks.evaluate_findings()
    assert again == {"new": 0, "still_open": 2, "changed": 0, "resolved": 0}
    assert _writes(queries.captured_queries) == []


def test_a_fix_resolves_the_finding_and_keeps_it_as_history(department):
    account = fine_account(department, last_active_on=days_ago(100))
    services.findings_evaluate()
    Account.objects.filter(pk=account.pk).update(last_active_on=days_ago(1))
    summary = services.findings_evaluate()
    assert summary.resolved == 1
    finding = Finding.objects.get(account=account, rule="zombie_group")
    assert finding.resolved_at is not None
    # It comes back as a new finding, the old one staying resolved.
    Account.objects.filter(pk=account.pk).update(last_active_on=days_ago(120))
    assert services.findings_evaluate().new == 1
    assert Finding.objects.filter(account=account, rule="zombie_group").count() == 2


def test_changed_details_update_the_open_finding(department):
    account = fine_account(department, last_active_on=days_ago(100))
    services.findings_evaluate()
    Account.objects.filter(pk=account.pk).update(last_active_on=days_ago(110))
    summary = services.findings_evaluate()
    assert (summary.new, summary.changed, summary.resolved) == (0, 1, 0)
    finding = Finding.objects.open().get(account=account, rule="zombie_group")
    assert finding.params["last_active_on"] == days_ago(110).isoformat()


def test_a_department_run_leaves_other_departments_alone(department, other_department):
    mine = fine_account(department, last_active_on=days_ago(100))
    theirs = fine_account(other_department, last_active_on=days_ago(100))
    services.findings_refresh(department_ids={department.pk})
    assert Finding.objects.filter(account=mine).exists()
    assert not Finding.objects.filter(account=theirs).exists()


def test_the_nightly_task_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["findings-nightly"]
    assert entry["task"] == "cleanup.tasks.evaluate_findings"


def test_the_task_evaluates_as_of_a_given_day(department):
    fine_account(department, last_active_on=days_ago(1))
    later = days_ago(-100).isoformat()
    assert tasks.evaluate_findings(later)["new"] == 1


def test_one_open_finding_per_account_and_rule_is_a_database_fact(department):
    account = fine_account(department)
    Finding.objects.create(account=account, rule="zombie_group", severity="warning")
    with pytest.raises(IntegrityError):
        Finding.objects.create(account=account, rule="zombie_group", severity="warning")


def test_an_edit_through_the_services_re_evaluates_the_department(department, filer):
    from approvals import services as approvals_services
    from approvals.tests.factories import filing_in

    filing = filing_in("draft", department=department, name="财政厅群", last_active_on=days_ago(1))
    services.findings_evaluate()
    account = filing.account
    account.name = "财务处群"
    approvals_services.account_edit(account=account, by=filer, version=account.version)
    assert not Finding.objects.open().filter(account=account, rule="forbidden_name").exists()


def test_the_management_command_runs_the_evaluation(department):
    from io import StringIO

    from django.core.management import call_command

    fine_account(department, last_active_on=days_ago(100))
    out = StringIO()
    call_command("evaluate_findings", stdout=out)
    assert "新发现 1" in out.getvalue()  # in Chinese, to the operator
