"""The findings tally, kept by database triggers, always equals the open findings counted
afresh: after random openings, resolutions, reopenings, changes of severity, moves of accounts
and deletions, one by one or in bulk. On PostgreSQL in CI as well as on SQLite."""

from collections import Counter

from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from cleanup.models import Finding, FindingTally, Severity
from newmedia import dbtriggers
from registry.models import Account
from registry.tests.factories import AccountFactory, DepartmentFactory

RULES = ["R1", "R2", "R3"]
SEVERITIES = list(Severity.values)


def counted_afresh() -> Counter:
    """The open findings counted now, by the key the tally keeps."""
    rows = (
        Finding.objects.open()
        .order_by()
        .values_list("account__department_id", "severity")
        .annotate(n=Count("pk"))
    )
    return Counter({(department, severity): n for department, severity, n in rows})


def tallied() -> Counter:
    rows = (
        FindingTally.objects.order_by()
        .values_list("department_id", "severity")
        .annotate(total=Sum("n"))
    )
    return Counter({(department, severity): n for department, severity, n in rows if n})


class FindingTallyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.departments = [DepartmentFactory(), DepartmentFactory()]
        self.accounts = [AccountFactory(department=self.departments[n % 2]).pk for n in range(4)]

    def _findings(self):
        return list(Finding.objects.order_by("pk").values_list("pk", flat=True))

    @rule(
        account=st.integers(0, 3),
        rules=st.sets(st.sampled_from(RULES), min_size=1),
        severity=st.sampled_from(SEVERITIES),
        resolved=st.booleans(),
        bulk=st.booleans(),
    )
    def add(self, account, rules, severity, resolved, bulk):
        findings = [
            Finding(
                account_id=self.accounts[account],
                rule=code,
                severity=severity,
                resolved_at=timezone.now() if resolved else None,
            )
            for code in sorted(rules)
        ]
        try:  # one open finding per account and rule: a duplicate is refused whole
            with transaction.atomic():
                if bulk:
                    Finding.objects.bulk_create(findings)
                else:
                    for finding in findings:
                        finding.save()
        except IntegrityError:
            pass

    @rule(pick=st.integers(0, 50), resolve=st.booleans(), one=st.booleans())
    def resolve_or_reopen(self, pick, resolve, one):
        findings = self._findings()
        if not findings:
            return
        start = pick % len(findings)
        chosen = [findings[start]] if one else findings[start::2]
        try:
            with transaction.atomic():
                Finding.objects.filter(pk__in=chosen).update(
                    resolved_at=timezone.now() if resolve else None
                )
        except IntegrityError:
            pass

    @rule(pick=st.integers(0, 50), severity=st.sampled_from(SEVERITIES), save=st.booleans())
    def change_severity(self, pick, severity, save):
        findings = self._findings()
        if not findings:
            return
        pk = findings[pick % len(findings)]
        if save:  # as the admin does: every column written back
            finding = Finding.objects.get(pk=pk)
            finding.severity = severity
            finding.save()
        else:
            Finding.objects.filter(pk=pk).update(severity=severity)

    @rule(account=st.integers(0, 3), department=st.integers(0, 1), save=st.booleans())
    def move(self, account, department, save):
        pk = self.accounts[account]
        if save:
            moved = Account.objects.get(pk=pk)
            moved.department = self.departments[department]
            moved.save()
        else:
            Account.objects.filter(pk=pk).update(department=self.departments[department])

    @rule(pick=st.integers(0, 50), one=st.booleans())
    def delete(self, pick, one):
        findings = self._findings()
        if findings:
            start = pick % len(findings)
            Finding.objects.filter(pk__in=[findings[start]] if one else findings[start::3]).delete()

    @invariant()
    def the_tally_equals_the_open_findings(self):
        assert tallied() == counted_afresh()


class FindingTallyTests(TestCase):
    def test_random_writes_keep_the_tally_equal_to_the_open_findings(self):
        run_state_machine_as_test(
            FindingTallyMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )

    def test_migrate_puts_the_triggers_back_and_counts_what_was_opened_without_them(self):
        department = DepartmentFactory()
        dbtriggers.drop(dbtriggers.declared("cleanup"))
        for code in RULES:
            Finding.objects.create(
                account=AccountFactory(department=department), rule=code, severity="blocking"
            )
        assert tallied() != counted_afresh()
        call_command("migrate", verbosity=0)
        assert tallied() == counted_afresh() == Counter({(department.pk, "blocking"): 3})
        Finding.objects.filter(rule="R1").update(resolved_at=timezone.now())
        assert tallied() == Counter({(department.pk, "blocking"): 2})
