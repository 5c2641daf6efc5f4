"""The busy pages run a fixed number of queries, however many accounts there are."""

import pytest
from django.urls import reverse

from approvals.tests.factories import bulk_accounts
from registry.models import Account

PAGES = [
    ("approvals:dashboard", None, 9),
    ("approvals:account_list", None, 8),
    ("approvals:review_queue", None, 7),
    ("approvals:account_detail", "first", 9),
]


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize(("name", "arg", "limit"), PAGES)
def test_it_runs_a_bounded_number_of_queries(
    client_for, reviewer, department, django_assert_max_num_queries, count, name, arg, limit
):
    bulk_accounts(department, count)
    url = reverse(name, args=[Account.objects.first().pk] if arg else None)
    client = client_for(reviewer)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_it_runs_a_bounded_number_of_queries_for_a_filer(
    client_for, filer, department, django_assert_max_num_queries, count
):
    bulk_accounts(department, count)
    client = client_for(filer)
    for name in ("approvals:dashboard", "approvals:account_list"):
        with django_assert_max_num_queries(10):
            assert client.get(reverse(name)).status_code == 200
