"""The account tally, kept by database triggers, always equals the register counted afresh:
after random inserts, transitions, moves and deletes, one by one or in bulk, through the ORM's
saves and its queryset updates alike. On PostgreSQL in CI as well as on SQLite."""

from collections import Counter

from django.core.management import call_command
from django.db.models import Count, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from approvals.models import AccountTally, Filing
from newmedia import dbtriggers
from registry.models import Account
from registry.tests.factories import AccountFactory, DepartmentFactory

from .factories import state_fields

PLATFORMS = ["qq_group", "dingtalk_group", "weibo", "douyin"]
STATES = list(Filing.State.values)


def counted_afresh() -> Counter:
    """The register counted now, by the key the tally keeps."""
    rows = (
        Filing.objects.order_by()
        .values_list("account__department_id", "account__platform", "state", "closure_kind")
        .annotate(n=Count("pk"))
    )
    return Counter({tuple(row[:-1]): row[-1] for row in rows})


def tallied() -> Counter:
    rows = (
        AccountTally.objects.order_by()
        .values_list("department_id", "platform", "state", "closure_kind")
        .annotate(total=Sum("n"))
    )
    return Counter({tuple(row[:-1]): row[-1] for row in rows if row[-1]})


class TallyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.departments = [DepartmentFactory(), DepartmentFactory()]

    def _accounts(self):
        return list(Account.objects.order_by("pk").values_list("pk", flat=True))

    @rule(
        department=st.integers(0, 1),
        platform=st.sampled_from(PLATFORMS),
        state=st.sampled_from(STATES),
        count=st.integers(1, 3),
        bulk=st.booleans(),
    )
    def add(self, department, platform, state, count, bulk):
        accounts = AccountFactory.build_batch(
            count, department=self.departments[department], platform=platform
        )
        if bulk:
            accounts = Account.objects.bulk_create(accounts)
            Filing.objects.bulk_create(Filing(account=a, **state_fields(state)) for a in accounts)
        else:
            for account in accounts:
                account.save()
                Filing.objects.create(account=account, **state_fields(state))

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
            Account.objects.filter(pk=pk).delete()

    @invariant()
    def the_tally_equals_the_register(self):
        assert tallied() == counted_afresh()


class TallyTests(TestCase):
    def test_random_writes_keep_the_tally_equal_to_the_register(self):
        run_state_machine_as_test(
            TallyMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )

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
