"""Both tallies (accounts: ``AccountTally``; open findings: ``FindingTally``) stay equal to the
register when two sessions write at once on PostgreSQL: each moves its accounts to the other's
department, changes their filings' states and opens and resolves their findings, in many small
transactions started together, while a third session compacts the tallies again and again. The
triggers write deltas and never update a shared row, so no session waits for or deadlocks
another, and no change is lost or counted twice."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from approvals.models import AccountTally, Filing
from cleanup.models import Finding
from cleanup.tests.test_finding_tally import counted_afresh as findings_counted
from cleanup.tests.test_finding_tally import tallied as findings_tallied
from newmedia import dbtriggers
from registry.models import Account
from registry.tests.factories import AccountFactory, DepartmentFactory

from .factories import state_fields
from .test_tally import counted_afresh, tallied

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 30
STATES = ["draft", "submitted", "returned", "registered", "closing"]


def test_two_sessions_writing_at_once_keep_both_tallies_right():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")
    departments = [DepartmentFactory(), DepartmentFactory()]
    sides = []
    for side in range(2):
        accounts = [AccountFactory(department=departments[side]) for _ in range(6)]
        for account in accounts:
            Filing.objects.create(account=account, **state_fields("draft"))
            Finding.objects.create(account=account, rule="R1", severity="blocking")
        sides.append([account.pk for account in accounts])
    start = threading.Barrier(3)
    done = threading.Event()
    errors = []

    def write(side: int) -> None:
        mine = sides[side]
        try:
            start.wait()
            for n in range(ROUNDS):
                with transaction.atomic():
                    # Every round, both sessions move accounts between the same two departments
                    # in opposite directions: the same tally rows, locked in the same order.
                    Account.objects.filter(pk__in=mine).update(
                        department=departments[(side + n + 1) % 2]
                    )
                    Filing.objects.filter(account__in=mine).update(
                        **state_fields(STATES[(n + side) % len(STATES)])
                    )
                    Finding.objects.filter(account__in=mine[::2]).update(
                        resolved_at=timezone.now() if n % 2 else None
                    )
                    Finding.objects.create(
                        account_id=mine[n % len(mine)], rule=f"X{n}", severity="warning"
                    )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    def compact() -> None:
        try:
            start.wait()
            while not done.is_set():
                dbtriggers.compact()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(side,)) for side in range(2)]
    compactor = threading.Thread(target=compact)
    compactor.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    compactor.join(timeout=60)
    assert not errors, errors
    assert tallied() == counted_afresh()
    assert sum(counted_afresh().values()) == 12
    assert findings_tallied() == findings_counted()
    assert Finding.objects.count() == 12 + 2 * ROUNDS
    assert findings_counted()
    dbtriggers.compact()
    assert tallied() == counted_afresh()
    assert findings_tallied() == findings_counted()
    assert AccountTally.objects.count() == len(counted_afresh())
