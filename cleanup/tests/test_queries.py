"""Every rule reads in a fixed number of queries, however many accounts and members there are;
the findings list too."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import Account, Staff
from registry.tests.factories import AccountFactory, StaffFactory

from .. import services
from ..models import MemberMatch, Roster, RosterMember
from ..rules import RULES, Context
from .factories import days_ago, today

pytestmark = pytest.mark.django_db
# The most queries any single rule makes (closed numbers: the closed ones, then the live ones).
PER_RULE = 2


def _load(department, count: int) -> None:
    """``count`` accounts of every kind, and a roster of 20 members on each group."""
    staff = StaffFactory(department=department)
    left = StaffFactory(department=department, status=Staff.Status.LEFT, left_on=days_ago(9))
    kinds = [
        {"category": "work_group", "last_active_on": days_ago(100)},
        {"category": "temporary_group", "task_end_on": days_ago(3)},
        {"category": "publishing", "platform": "weibo", "last_active_on": days_ago(30)},
        {"category": "chat_group", "name": "闲聊群", "last_active_on": None},
    ]
    accounts = Account.objects.bulk_create(
        AccountFactory.build(
            department=department, owner_name="无名氏", **{"name": f"群{n % 7}", **kinds[n % 4]}
        )
        for n in range(count)
    )
    for account in accounts:
        if account.category == "publishing":
            continue
        roster = Roster.objects.create(account=account, member_count=20)
        RosterMember.objects.bulk_create(
            RosterMember(
                roster=roster,
                row=row,
                nickname=f"m{row}",
                match=[MemberMatch.NOT_STAFF, MemberMatch.DEPARTED, MemberMatch.OWN_DEPARTMENT][
                    row % 3
                ],
                staff=None if row % 3 == 0 else (left if row % 3 == 1 else staff),
            )
            for row in range(20)
        )


def _queries_per_rule() -> dict[str, int]:
    context = Context(accounts=services.live_accounts(), today=today())
    counts = {}
    for rule in RULES:
        with CaptureQueriesContext(connection) as queries:
            rule.check(context)
        counts[rule.code] = len(queries)
    return counts


def test_each_rule_runs_a_bounded_number_of_queries(department):
    _load(department, 8)
    small = _queries_per_rule()
    _load(department, 120)
    large = _queries_per_rule()
    assert small == large
    assert max(large.values()) <= PER_RULE


def test_a_whole_evaluation_reads_in_a_bounded_number_of_queries(department):
    _load(department, 8)
    with CaptureQueriesContext(connection) as first:
        services.findings_evaluate()
    _load(department, 120)
    services.findings_evaluate()
    with CaptureQueriesContext(connection) as rerun:
        services.findings_evaluate()
    reads = len(rules_reads := [q for q in rerun.captured_queries if "SELECT" in q["sql"]])
    assert rules_reads and reads <= len(RULES) * PER_RULE + 1
    assert len(first.captured_queries) < 60


@pytest.mark.parametrize("count", [8, 200])
def test_the_findings_list_runs_a_constant_number_of_queries(
    client_for, reviewer, department, django_assert_max_num_queries, count
):
    _load(department, count)
    services.findings_evaluate()
    client = client_for(reviewer)
    # Session, user, groups/permissions, count, page, departments of the filter form.
    with django_assert_max_num_queries(8):
        assert client.get(reverse("cleanup:finding_list")).status_code == 200
