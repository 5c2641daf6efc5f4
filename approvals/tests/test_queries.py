"""The busy pages run a fixed number of queries, however many accounts or departments there
are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Campaign, ReturnState
from approvals.selectors import reviewer_queues
from approvals.tests.factories import CampaignFactory, bulk_accounts, return_in
from registry.models import Account, Department

PAGES = [
    # 9, one for the user's unread notifications and one for what was handed over to them.
    ("approvals:dashboard", None, 11),
    ("approvals:account_list", None, 8),
    # 7, one for the reviewers a selection can be handed over to, one for the changes to
    # registered accounts awaiting review (selectors.pending_changes), and one for the
    # departments of the filter's choice.
    ("approvals:review_queue", None, 10),
    # 9, one for the account's clean-up findings (cleanup.selectors.account_findings), one for
    # a page of its field history (selectors.account_changes) and one for its confirmation in
    # an annual review (selectors.pending_confirmation).
    ("approvals:account_detail", "first", 12),
]


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize(("name", "arg", "limit"), PAGES)
def test_it_runs_a_bounded_number_of_queries(
    client_for, reviewer, department, django_assert_max_num_queries, count, name, arg, limit
):
    bulk_accounts(department, count)
    url = reverse(name, args=[Account.objects.first().pk] if arg else None)
    client = client_for(reviewer)
    client.get(url)  # the process's caches (content types) warm, as a running site's are
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


FILER_PAGES = [
    # 10, and one each for the unread notifications, the department-return cards and the
    # clean-up findings to fix (cleanup.selectors.filer_findings), and one for the reminders
    # received (selectors.reminders_received; the checklist's counts ride on the cards' query).
    ("approvals:dashboard", 14),
    ("approvals:account_list", 10),
]


@pytest.mark.parametrize("count", [10, 1000])
def test_it_runs_a_bounded_number_of_queries_for_a_filer(
    client_for, filer, department, django_assert_max_num_queries, count
):
    bulk_accounts(department, count)
    return_in(ReturnState.IN_PROGRESS, campaign=CampaignFactory(), department=department)
    client = client_for(filer)
    for name, limit in FILER_PAGES:
        with django_assert_max_num_queries(limit):
            assert client.get(reverse(name)).status_code == 200


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="reads SQLite's query plan; PostgreSQL plans by the table's size",
)
def test_the_reviewers_queues_read_a_few_rows_of_an_index_in_order(reviewer, department):
    """The dashboard's queues (oldest submissions, closures reported) take the first rows of one
    state from an index, rather than sorting every account in that state for each request; what
    was handed over to the reviewer, the first of the reviewer's own rows (issue 19: through the
    queue's index, SQLite walked every submission for them)."""
    indexes = {"handed_to_me": "approvals_filing_handed_over"}
    for key, rows in reviewer_queues(user=reviewer).items():
        plan = rows.explain()
        assert indexes.get(key, "approvals_filing_queue") in plan, (key, plan)
        assert "TEMP B-TREE" not in plan, (key, plan)


def _departments(count: int) -> None:
    """``count`` more departments; one in ten with a few accounts over every state and a
    return."""
    campaign = Campaign.objects.filter(is_active=True).first() or CampaignFactory()
    start = Department.objects.count()
    departments = Department.objects.bulk_create(
        Department(
            code=f"D{start + n:04d}", name=f"单位{start + n:04d}", kind=Department.Kind.OFFICE
        )
        for n in range(count)
    )
    for department in departments[:: max(1, count // 10)]:
        bulk_accounts(department, 3)
        return_in(ReturnState.IN_PROGRESS, campaign=campaign, department=department)


REVIEWER_PAGES = [
    *(name for name, _arg, _limit in PAGES if name != "approvals:account_detail"),
    "approvals:command_centre",
    "approvals:return_list",
    "cleanup:finding_list",
]


@pytest.mark.parametrize("name", REVIEWER_PAGES)
def test_a_reviewers_page_runs_as_many_queries_for_1000_departments_as_for_10(
    client_for, reviewer, name
):
    """Issue 19: no page's query count grows with the number of departments."""
    counts = []
    client = client_for(reviewer)
    for count in (10, 990):  # 10, then 1,000 in all
        _departments(count)
        client.get(reverse(name))  # warm caches, as a running site's are
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("name", ["approvals:account_list", "approvals:review_queue"])
@pytest.mark.parametrize("by", ["id", "text"])
def test_a_list_filtered_by_department_runs_as_many_queries_for_1000_departments_as_for_10(
    client_for, reviewer, name, by
):
    """Above NEWMEDIA_DEPARTMENT_SELECT_MAX the department filter is a search box: neither the
    chosen department nor a typed text costs a query per department."""
    counts = []
    client = client_for(reviewer)
    for count in (10, 990):
        _departments(count)
        first = Department.objects.order_by("code").first()
        query = {"department": first.pk} if by == "id" else {"department_text": "单位000"}
        client.get(reverse(name), query)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name), query).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
