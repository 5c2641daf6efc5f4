"""Two reviewers press approve at the same moment, in two real database sessions."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_fsm_log.models import StateLog

from approvals import services
from approvals.models import Filing
from approvals.tests.factories import filing_in

# serialized_rollback keeps the migration-made groups for the tests that run after this one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def postgres():
    # SQLite serialises writers on one file, so only a server shows the race; CI runs this
    # file again against PostgreSQL (DATABASE_URL), where it must run.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://…")


def test_it_lets_exactly_one_of_two_simultaneous_approvals_win(
    postgres, department, reviewer, second_reviewer
):
    filing = filing_in(Filing.State.SUBMITTED, department=department, naming_level="school")
    both_loaded = threading.Barrier(2)
    outcomes = {}

    def approve(user):
        try:
            mine = Filing.objects.select_related("account").get(pk=filing.pk)
            both_loaded.wait(timeout=10)  # each holds the submitted state before either saves
            services.step_take(mine, "approve", by=user, comment=user.username)
            outcomes[user.username] = "approved"
        except ValidationError as exc:
            outcomes[user.username] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (reviewer, second_reviewer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["approved", "stale"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "approved")
    log = StateLog.objects.for_(filing).get()  # one row: the loser's was rolled back
    assert (log.by.username, log.description) == (winner, winner)
    # The default chain: a school account waits for its leader next.
    assert Filing.objects.get(pk=filing.pk).state == Filing.State.AWAITING_SIGNOFF
