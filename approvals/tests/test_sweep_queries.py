"""The daily sweep runs a fixed number of queries, however many departments are late."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Campaign, DepartmentReturn, Filing, ReminderLog
from approvals.services.reminders import reminders_sweep
from approvals.tests.factories import state_fields
from registry.models import Account, Department
from registry.tests.factories import AccountFactory
from robots.models import Robot, RobotMessage

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test"

pytestmark = pytest.mark.django_db

DAY = date(2027, 6, 1)  # the 7-day milestone of a deadline on 2027-06-08
SIZES = [10, 200]

# A dry run: a savepoint and its release, the campaign's lock, the departments' statuses, the
# reminders already written and the filers.
PLAN_QUERIES = 6
# A real run adds the unsent emails of earlier runs, one INSERT of the notifications, the
# departments' group robots and one INSERT of the reminder log: 10. Django sends SQLite at most
# 999 parameters a query, so it splits the inserts of 200 rows into batches (3 queries more);
# PostgreSQL stays at 10.
WRITE_QUERIES = 13
# With a group robot in every department: the messages already written, and their INSERT in a
# savepoint: 4 (on SQLite the INSERT of 200 rows goes in three batches, 6).
ROBOT_QUERIES = 6
# A run with nothing new to write: the same reads, no inserts.
RERUN_QUERIES = 7
# Each email its task sends: the claim (an UPDATE), reading the notification, the mark.
EMAIL_QUERIES = 3


def _late_departments(count: int) -> None:
    """``count`` departments with a filer each, none handed in; every fifth has open accounts and
    every seventh a return in progress, so the statuses query has something to count."""
    departments = Department.objects.bulk_create(
        Department(code=f"Q{n:04d}", name=f"部门{n:04d}", kind=Department.Kind.COLLEGE)
        for n in range(count)
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"q{n:04d}", email=f"q{n:04d}@example.edu.cn") for n in range(count)
    )
    Department.filers.through.objects.bulk_create(
        Department.filers.through(department=d, user=u)
        for d, u in zip(departments, users, strict=True)
    )
    accounts = Account.objects.bulk_create(
        AccountFactory.build(department=d) for d in departments[::5] for _ in range(2)
    )
    Filing.objects.bulk_create(Filing(account=a, **state_fields("draft")) for a in accounts)
    campaign = Campaign.objects.get()
    DepartmentReturn.objects.bulk_create(
        DepartmentReturn(campaign=campaign, department=d, **{"state": "in_progress"})
        for d in departments[::7]
    )


@pytest.fixture
def campaign():
    return Campaign.objects.create(
        title="2027年清理整治专项行动",
        starts_on=date(2027, 5, 1),
        deadline=date(2027, 6, 8),
        is_active=True,
    )


@pytest.mark.parametrize("departments", SIZES)
def test_a_dry_run_runs_the_same_queries_for_10_and_200_departments(
    campaign, departments, django_assert_max_num_queries
):
    _late_departments(departments)
    with django_assert_max_num_queries(PLAN_QUERIES):
        result = reminders_sweep(today=DAY, dry_run=True)
    assert len(result.reminders) == departments


@pytest.mark.parametrize("departments", SIZES)
def test_it_writes_the_reminders_of_10_and_200_departments_with_the_same_queries(
    campaign, departments, django_assert_max_num_queries
):
    """The emails are sent by tasks queued when the sweep commits: measured below."""
    _late_departments(departments)
    with django_assert_max_num_queries(WRITE_QUERIES):
        reminders_sweep(today=DAY)
    assert ReminderLog.objects.count() == departments
    with django_assert_max_num_queries(RERUN_QUERIES):
        assert reminders_sweep(today=DAY).reminders == []


@pytest.mark.parametrize("departments", SIZES)
def test_it_tells_the_group_robots_of_10_and_200_departments_with_the_same_queries(
    campaign, departments, django_assert_max_num_queries
):
    _late_departments(departments)
    Robot.objects.bulk_create(
        Robot(name=d.name, platform="wecom", department=d, webhook_url=WECOM)
        for d in Department.objects.all()
    )
    with django_assert_max_num_queries(WRITE_QUERIES + ROBOT_QUERIES):
        reminders_sweep(today=DAY)
    assert RobotMessage.objects.count() == departments
    with django_assert_max_num_queries(RERUN_QUERIES):
        assert reminders_sweep(today=DAY).reminders == []
    assert RobotMessage.objects.count() == departments


@pytest.mark.parametrize("departments", SIZES)
def test_each_email_costs_the_same_queries_for_10_and_200_departments(
    campaign, departments, django_capture_on_commit_callbacks
):
    _late_departments(departments)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders_sweep(today=DAY)
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()  # tasks run eagerly in tests: each email is sent here
    assert len(queries) == departments * EMAIL_QUERIES
