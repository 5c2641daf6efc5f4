"""The account tally, kept by database triggers, always equals the register counted afresh:
after random inserts, transitions, moves and deletes, one by one or in bulk, through the ORM's
saves and its queryset updates alike. On PostgreSQL in CI as well as on SQLite."""

import re
from collections import Counter

from django.core.management import call_command
from django.db.models import Count, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from approvals.models import AccountTally, Filing, SchoolTally
from approvals.services.filings import filings_open_missing
from approvals.triggers import NO_FILING
from newmedia import dbtriggers
from newmedia.tasks import compact_tallies
from registry.models import Account
from registry.tests.factories import AccountFactory, DepartmentFactory

from .factories import state_fields

PLATFORMS = ["qq_group", "dingtalk_group", "weibo", "douyin"]
STATES = list(Filing.State.values)


def counted_afresh() -> Counter:
    """The register counted now, by the key the tally keeps: every account, under its filing's
    state and kind of closure, or under ``NO_FILING`` when it has none."""
    rows = (
        Account.objects.order_by()
        .values_list("department_id", "platform", "filing__state", "filing__closure_kind")
        .annotate(n=Count("pk"))
    )
    return Counter(
        {
            (department, platform, state or "", kind or ""): n
            for department, platform, state, kind, n in rows
        }
    )


def tallied() -> Counter:
    rows = (
        AccountTally.objects.order_by()
        .values_list("department_id", "platform", "state", "closure_kind")
        .annotate(total=Sum("n"))
    )
    return Counter({tuple(row[:-1]): row[-1] for row in rows if row[-1]})


def school_tallied() -> Counter:
    """The school-wide tally, to compare with the department tallies summed."""
    rows = (
        SchoolTally.objects.order_by()
        .values_list("platform", "state", "closure_kind")
        .annotate(total=Sum("n"))
    )
    return Counter({tuple(row[:-1]): row[-1] for row in rows if row[-1]})


def across_departments(counts: Counter) -> Counter:
    totals = Counter()
    for (_department, *key), n in counts.items():
        totals[tuple(key)] += n
    return +totals


class TallyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.departments = [DepartmentFactory(), DepartmentFactory()]

    def _accounts(self):
        return list(Account.objects.order_by("pk").values_list("pk", flat=True))

    @rule(
        department=st.integers(0, 1),
        platform=st.sampled_from(PLATFORMS),
        state=st.sampled_from([*STATES, NO_FILING]),
        count=st.integers(1, 3),
        bulk=st.booleans(),
    )
    def add(self, department, platform, state, count, bulk):
        accounts = AccountFactory.build_batch(
            count, department=self.departments[department], platform=platform
        )
        if bulk:
            accounts = Account.objects.bulk_create(accounts)
            if state != NO_FILING:
                Filing.objects.bulk_create(
                    Filing(account=a, **state_fields(state)) for a in accounts
                )
        else:
            for account in accounts:
                account.save()
                if state != NO_FILING:
                    Filing.objects.create(account=account, **state_fields(state))

    @rule(bulk=st.booleans())
    def open_missing_filings(self, bulk):
        """As after an import: the accounts without a filing get their drafts."""
        if bulk:
            filings_open_missing()
        else:
            for account in Account.objects.filter(filing__isnull=True):
                Filing.objects.create(account=account)

    @rule(pick=st.integers(0, 50))
    def move_a_filing(self, pick):
        """A filing moved to an account that has none (only a raw write would)."""
        bare = list(Account.objects.filter(filing__isnull=True).values_list("pk", flat=True))
        filings = list(Filing.objects.order_by("pk").values_list("pk", flat=True))
        if bare and filings:
            Filing.objects.filter(pk=filings[pick % len(filings)]).update(
                account_id=bare[pick % len(bare)]
            )

    @rule(pick=st.integers(0, 50), state=st.sampled_from(STATES), one=st.booleans())
    def change_state(self, pick, state, one):
        accounts = self._accounts()
        if accounts:
            start = pick % len(accounts)
            chosen = [accounts[start]] if one else accounts[start::2]
            Filing.objects.filter(account__in=chosen).update(**state_fields(state))

    @rule(
        pick=st.integers(0, 50),
        department=st.integers(0, 1),
        platform=st.sampled_from(PLATFORMS),
        how=st.sampled_from(["save", "department", "platform", "both"]),
    )
    def move(self, pick, department, platform, how):
        accounts = self._accounts()
        if not accounts:
            return
        pk = accounts[pick % len(accounts)]
        department = self.departments[department]
        if how == "save":  # as the admin does: every column written back
            account = Account.objects.get(pk=pk)
            account.department, account.platform = department, platform
            account.save()
        else:  # an update of just these columns
            changes = {"department": department, "platform": platform}
            if how != "both":
                changes = {how: changes[how]}
            Account.objects.filter(pk=pk).update(**changes)

    @rule(pick=st.integers(0, 50))
    def delete(self, pick):
        accounts = self._accounts()
        if accounts:
            pk = accounts[pick % len(accounts)]
            Filing.objects.filter(account_id=pk).delete()
            if pick % 3:  # else the account stays, without a filing
                Account.objects.filter(pk=pk).delete()

    @invariant()
    def the_tally_equals_the_register(self):
        assert tallied() == counted_afresh()
        assert school_tallied() == across_departments(counted_afresh())


class TallyTests(TestCase):
    def test_random_writes_keep_both_tallies_equal_to_the_register(self):
        run_state_machine_as_test(
            TallyMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )

    def test_compacting_leaves_one_row_per_key_and_the_same_counts(self):
        department = DepartmentFactory()
        accounts = [AccountFactory(department=department, platform="weibo") for _ in range(3)]
        for account in accounts:
            Filing.objects.create(account=account, **state_fields("draft"))
        Filing.objects.filter(account=accounts[0]).update(state="submitted")
        Filing.objects.filter(account=accounts[0]).delete()
        before = tallied()
        assert AccountTally.objects.count() > len(before)  # the deltas, one row per change
        assert SchoolTally.objects.count() > len(before)
        removed = compact_tallies.delay().get()
        left = {
            (department.pk, "weibo", "draft", ""): 2,
            (department.pk, "weibo", NO_FILING, ""): 1,
        }
        assert tallied() == before == counted_afresh() == Counter(left)
        # One row per key still counting something: the submitted state's +1 and -1 are gone.
        assert sorted(AccountTally.objects.values_list("state", "n")) == [("", 1), ("draft", 2)]
        assert sorted(SchoolTally.objects.values_list("platform", "state", "n")) == [
            ("weibo", "", 1),
            ("weibo", "draft", 2),
        ]
        assert removed > 0 and compact_tallies.delay().get() == 0

    def test_the_tallies_are_compacted_every_minute(self):
        from django.conf import settings

        [entry] = [
            e
            for e in settings.CELERY_BEAT_SCHEDULE.values()
            if e["task"] == "newmedia.tasks.compact_tallies"
        ]
        assert entry["schedule"].minute == set(range(60))

    def test_migrate_puts_the_triggers_back_and_counts_what_was_written_without_them(self):
        department = DepartmentFactory()
        dbtriggers.drop(dbtriggers.declared("approvals"))
        for state in STATES:
            Filing.objects.create(
                account=AccountFactory(department=department), **state_fields(state)
            )
        assert tallied() != counted_afresh()
        call_command("migrate", verbosity=0)
        assert tallied() == counted_afresh()
        assert sum(counted_afresh().values()) == len(STATES)
        Filing.objects.filter(account__department=department).update(state=STATES[0])
        assert tallied() == counted_afresh()


def test_the_command_folds_the_deltas_as_the_beat_does(db):
    from io import StringIO

    account = AccountFactory(platform="weibo")
    Filing.objects.create(account=account, **state_fields("draft"))
    Filing.objects.filter(account=account).update(state="submitted")
    out = StringIO()
    call_command("compact_tallies", stdout=out)
    assert list(SchoolTally.objects.values_list("platform", "state", "n")) == [
        ("weibo", "submitted", 1)
    ]
    # Each tally had +1 and -1 under '' (no filing yet) and under draft, and +1 under submitted:
    # four rows of each folded into nothing.
    assert re.findall(r"\d+", out.getvalue()) == ["8"]
