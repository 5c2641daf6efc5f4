"""Random sequences of transitions by random users of every role, checked after every step:
the filing machine with a two-level sign-off chain (或签 then 会签), handovers, a countersigner
leaving the group, the daily escalation now and then, and change requests (变更备案) asked,
approved, returned and withdrawn among them.

The expectations are written from the design table (shared/DESIGN.md), not read from the code,
so a transition the code allows but the design does not is caught.
"""

import itertools
from collections import Counter
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm_log.models import StateLog
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from approvals import services
from approvals.models import ChangeRequest, EscalationLog, Filing, SignOffLevel
from approvals.services.changes import change_request_create
from approvals.services.escalations import escalations_send
from registry.models import Account
from registry.roles import FILER_GROUP, LEADER_GROUP, REVIEWER_GROUP
from registry.services import account_facts
from registry.tests.factories import AccountFactory, DepartmentFactory, UserFactory

# (state, transition) -> the state the design table says it leads to.
DESIGN = {
    ("draft", "submit"): {"submitted"},
    ("returned", "submit"): {"submitted"},
    ("submitted", "withdraw"): {"draft"},
    ("submitted", "return_for_revision"): {"returned"},
    # School accounts enter the chain (two levels here); the others need no sign-off.
    ("submitted", "approve"): {"awaiting_signoff"},
    ("submitted", "register"): {"registered"},
    ("awaiting_signoff", "sign_off"): {"awaiting_signoff", "approved"},
    ("awaiting_signoff", "return_from_signoff"): {"returned"},
    ("awaiting_signoff", "hand_over_signature"): {"awaiting_signoff"},
    ("submitted", "order_closure"): {"closing"},
    ("approved", "order_closure"): {"closing"},
    ("registered", "order_closure"): {"closing"},
    ("approved", "request_closure"): {"closing"},
    ("registered", "request_closure"): {"closing"},
    ("closing", "report_closed"): {"closing"},
    ("closing", "confirm_closed"): {"closed"},
}
REVIEWER_ACTIONS = {"return_for_revision", "approve", "register", "order_closure", "confirm_closed"}
LEADER_ACTIONS = {"sign_off", "return_from_signoff", "hand_over_signature"}
LEADERS = ["leader_a", "leader_b", "leader_c"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
ROLES = ["filer_a", "filer_b", "reviewer", "nobody", *LEADERS]
# Accounts with different facts, so each guard is met or not in some runs.
# Few of them, so that runs get deep into the diagram.
ACCOUNTS = [
    {"naming_level": "school"},
    {"naming_level": "department"},
    {
        "naming_level": "work",
        "name": "财政厅群",
        "disposition": "dissolve",
        "disposition_reason": "僵尸群",
    },
]
_names = itertools.count()
# The steps committed over all runs: the runs must reach deep into the diagram, chains included.
REACHED = Counter()


def current_level(filing) -> int:
    return Filing.objects.filter(pk=filing.pk).values_list("signoff_level", flat=True).get()


class FilingMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        run = next(_names)
        self.department_a = DepartmentFactory(code=f"A{run}", name=f"甲学院{run}")
        self.department_b = DepartmentFactory(code=f"B{run}", name=f"乙学院{run}")
        self.users = {role: UserFactory(username=f"{role}{run}") for role in ROLES}
        self.users["filer_a"].groups.add(Group.objects.get(name=FILER_GROUP))
        self.users["filer_b"].groups.add(Group.objects.get(name=FILER_GROUP))
        self.users["reviewer"].groups.add(Group.objects.get(name=REVIEWER_GROUP))
        # The school accounts' chain: leader_a signs (或签), then leader_b and leader_c (会签).
        self.in_charge = Group.objects.create(name=f"分管校领导{run}")
        self.countersign = Group.objects.create(name=f"党委会签{run}")
        SignOffLevel.objects.filter(naming_level="school").delete()
        SignOffLevel.objects.create(naming_level="school", position=1, group=self.in_charge)
        SignOffLevel.objects.create(
            naming_level="school", position=2, group=self.countersign, mode="all"
        )
        for name in LEADERS:
            self.users[name].groups.add(Group.objects.get(name=LEADER_GROUP))
        self.users["leader_a"].groups.add(self.in_charge)
        self.users["leader_b"].groups.add(self.countersign)
        self.users["leader_c"].groups.add(self.countersign)
        self.department_a.filers.add(self.users["filer_a"])
        self.department_b.filers.add(self.users["filer_b"])
        self.filings = []
        for department in (self.department_a, self.department_b):
            for facts in ACCOUNTS:
                account = AccountFactory.build(department=department, **facts)
                owner = self.users["filer_a" if department == self.department_a else "filer_b"]
                self.filings.append(services.filing_create(account=account, by=owner))
        self.committed = {filing.pk: 0 for filing in self.filings}
        self.changes = {}  # change request -> its steps committed
        # Each department's account named for the department starts registered, through the
        # real steps, so that change requests have something to change from the first step.
        for index, filing in enumerate(self.filings):
            if filing.account.naming_level == "department":
                owner = self.users["filer_a" if index < len(ACCOUNTS) else "filer_b"]
                services.step_take(filing, "submit", by=owner, comment="")
                services.step_take(filing, "register", by=self.users["reviewer"], comment="")
                self.filings[index] = Filing.objects.get(pk=filing.pk)
                self.committed[filing.pk] = 2

    def _arguments(self, name, data):
        # Valid arguments most of the time, so runs get deep into the diagram; bad ones too.
        if name in ("order_closure", "request_closure"):
            kind = data.draw(st.sampled_from(["dissolve"] * 3 + ["merge", "take_down", "keep", ""]))
            survivor = data.draw(st.sampled_from([None, *[f.account for f in self.filings]]))
            reason = data.draw(st.sampled_from(["重复建设"] * 3 + [""]))
            return {"kind": kind, "reason": reason, "merge_into": survivor}
        if name in ("hand_over", "hand_over_signature"):
            to = data.draw(
                st.sampled_from([*[self.users[n] for n in LEADERS], self.users["nobody"]])
            )
            return {"to": to, "comment": "出差"}
        if name == "report_closed":
            content = data.draw(st.sampled_from([PNG] * 3 + [b"%PDF-1.4 not an image"]))
            return {"evidence": SimpleUploadedFile("shot.png", content)}
        return {"comment": data.draw(st.sampled_from(["请补充"] * 3 + [""]))}

    @rule(
        index=st.integers(min_value=0, max_value=len(ACCOUNTS) * 2 - 1),
        stale=st.booleans(),
        data=st.data(),
    )
    def act(self, index, stale, data):
        # One step in five is about a change request (变更备案) instead: asked, or decided.
        change_step = data.draw(st.sampled_from([None] * 8 + ["ask", "decide"]))
        if change_step == "ask":
            return self.ask_for_a_change(data)
        if change_step == "decide":
            return self.decide_a_change(data)
        filing = self.filings[index]
        # Mostly a step the design allows from here, by someone of its role, so runs get deep
        # into the diagram; any step by anyone the rest of the time.
        allowed = [name for (state, name) in DESIGN if state == filing.state]
        name = data.draw(st.sampled_from(allowed * 8 + list(Filing.machine.names)))
        own_filer = "filer_a" if filing.account.department_id == self.department_a.pk else "filer_b"
        likely = "reviewer" if name in REVIEWER_ACTIONS else own_filer
        if name in LEADER_ACTIONS:
            likely = (
                "leader_a"
                if current_level(filing) == 0
                else data.draw(st.sampled_from(["leader_b", "leader_c"]))
            )
        role = data.draw(st.sampled_from([likely] * 8 + ROLES))
        # Fresh users each step: permissions and memberships are cached on the user object.
        user = type(self.users[role]).objects.get(pk=self.users[role].pk)
        current = Filing.objects.select_related("account__department").get(pk=filing.pk)
        # A stale copy is the page a user loaded before someone else acted.
        acting = filing if stale else current
        before = current.state
        signers_before = current.pending_signer_ids()
        logs_before = StateLog.objects.for_(current).count()
        try:
            services.step_take(acting, name, by=user, **self._arguments(name, data))
        except (PermissionDenied, ValidationError):
            after = Filing.objects.get(pk=filing.pk)
            assert after.state == before, "a refused transition changed the state"
            assert StateLog.objects.for_(after).count() == logs_before
        else:
            after = Filing.objects.get(pk=filing.pk)
            assert (before, name) in DESIGN, f"{name} from {before} is not in the design"
            assert after.state in DESIGN[(before, name)]
            assert (name in REVIEWER_ACTIONS) == (role == "reviewer"), f"{role} took {name}"
            if name in LEADER_ACTIONS:
                assert user.pk in signers_before, f"{role} signed for a level not theirs"
            if role.startswith("filer"):
                own = self.department_a if role == "filer_a" else self.department_b
                assert after.account.department_id == own.pk, "a filer acted on another department"
            new_logs = list(StateLog.objects.for_(after).order_by("-pk")[:1])
            assert StateLog.objects.for_(after).count() == logs_before + 1
            assert (new_logs[0].by_id, new_logs[0].source_state, new_logs[0].state) == (
                user.pk,
                before,
                after.state,
            )
            self.committed[filing.pk] += 1
            REACHED[name] += 1
        self.filings[index] = after
        # Now and then the daily escalation, on a day some days on.
        if data.draw(st.integers(min_value=0, max_value=7)) == 0:
            self.escalate(data.draw(st.sampled_from([0, 4, 7])))

    def ask_for_a_change(self, data):
        """Only the department's filer asks, only for an approved or registered account, one
        pending request at a time; the account keeps its registered facts meanwhile."""
        # Mostly an account whose facts are registered, so that asks get through; any the rest.
        registered = [f.pk for f in self.filings if f.state in ("approved", "registered")]
        pk = data.draw(st.sampled_from(registered * 6 + [f.pk for f in self.filings]))
        filing = Filing.objects.select_related("account__department").get(pk=pk)
        own_filer = "filer_a" if filing.account.department_id == self.department_a.pk else "filer_b"
        role = data.draw(st.sampled_from([own_filer] * 6 + ROLES))
        user = type(self.users[role]).objects.get(pk=self.users[role].pk)
        account = Account.objects.get(pk=filing.account_id)
        before = account_facts(account)
        pending_before = ChangeRequest.objects.filter(account=account, state="pending").exists()
        account.owner_post = data.draw(st.sampled_from(["副主任", "主任", "干事"]))
        try:
            change = change_request_create(
                account=account, by=user, version=account.version, reason="人事调整"
            )
        except (PermissionDenied, ValidationError):
            assert account_facts(Account.objects.get(pk=account.pk)) == before
            return
        assert role == own_filer, f"{role} asked to change another department's account"
        assert filing.state in ("approved", "registered"), f"a change asked in {filing.state}"
        assert not pending_before, "a second change request waits beside the first"
        assert account_facts(Account.objects.get(pk=account.pk)) == before
        assert change is not None and change.proposed == {"owner_post": account.owner_post}
        self.changes[change.pk] = 0
        REACHED["asked_for_a_change"] += 1

    def decide_a_change(self, data):
        pending = list(ChangeRequest.objects.filter(pk__in=self.changes, state="pending"))
        if not pending:
            return
        change = data.draw(st.sampled_from(pending))
        name = data.draw(st.sampled_from(list(ChangeRequest.machine.names)))
        filing = Filing.objects.get(account_id=change.account_id)
        own_filer = "filer_a" if change.account.department_id == self.department_a.pk else "filer_b"
        likely = own_filer if name == "withdraw_change" else "reviewer"
        role = data.draw(st.sampled_from([likely] * 6 + ROLES))
        user = type(self.users[role]).objects.get(pk=self.users[role].pk)
        facts = account_facts(Account.objects.get(pk=change.account_id))
        try:
            services.step_take(change, name, by=user, comment="意见")
        except (PermissionDenied, ValidationError):
            assert ChangeRequest.objects.get(pk=change.pk).state == "pending"
            assert account_facts(Account.objects.get(pk=change.account_id)) == facts
            return
        assert role == (own_filer if name == "withdraw_change" else "reviewer"), f"{role}: {name}"
        after = account_facts(Account.objects.get(pk=change.account_id))
        if name == "approve_change":
            assert filing.state in ("approved", "registered")
            assert after == {**facts, **change.proposed}
        else:
            assert after == facts, f"{name} changed the account's facts"
        self.changes[change.pk] += 1
        REACHED[name] += 1

    @invariant()
    def one_pending_change_at_most_and_one_log_row_per_decision(self):
        pending = ChangeRequest.objects.filter(pk__in=self.changes, state="pending")
        accounts = list(pending.values_list("account_id", flat=True))
        assert len(accounts) == len(set(accounts))
        for change in ChangeRequest.objects.filter(pk__in=self.changes):
            assert StateLog.objects.for_(change).count() == self.changes[change.pk]

    @rule()
    def a_countersigner_leaves_and_comes_back(self):
        """A 会签 level must not wait for a leader who left: it settles, by the system."""
        settled_before = self._settled()
        self.users["leader_c"].groups.remove(self.countersign)
        for pk, count in self._settled().items():
            self.committed[pk] += count - settled_before.get(pk, 0)
            REACHED["settle_signoff"] += count - settled_before.get(pk, 0)
        self.users["leader_c"].groups.add(self.countersign)
        self.filings = [Filing.objects.get(pk=f.pk) for f in self.filings]

    def _settled(self):
        logs = StateLog.objects.filter(transition="settle_signoff", object_id__in=self.committed)
        return dict(Counter(int(pk) for pk in logs.values_list("object_id", flat=True)))

    def escalate(self, days_on):
        """The daily escalation, on a day some days on: it reminds only whose the step is, once a
        day however often it runs, and changes no state."""
        day = timezone.localdate() + timedelta(days=days_on)
        states = dict(Filing.objects.filter(pk__in=self.committed).values_list("pk", "state"))
        before = EscalationLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        escalations_send(today=day)
        assert escalations_send(today=day).reminded == 0
        REACHED["escalated"] += EscalationLog.objects.filter(pk__gt=before).count()
        for log in EscalationLog.objects.filter(pk__gt=before, to_leader=False):
            filing = Filing.objects.get(pk=log.filing_id)
            if filing.state == Filing.State.AWAITING_SIGNOFF:
                assert log.recipient_id in filing.pending_signer_ids()
            else:
                assert log.recipient.groups.filter(name=REVIEWER_GROUP).exists()
        after = dict(Filing.objects.filter(pk__in=self.committed).values_list("pk", "state"))
        assert after == states

    @invariant()
    def no_filing_in_a_chain_is_left_without_someone_to_sign(self):
        for filing in Filing.objects.filter(pk__in=self.committed, state="awaiting_signoff"):
            assert filing.pending_signer_ids(), f"{filing} waits for nobody"

    @invariant()
    def every_state_is_in_the_diagram_and_every_change_has_one_log_row(self):
        for filing in Filing.objects.filter(pk__in=self.committed):
            assert filing.state in Filing.State.values
            assert StateLog.objects.for_(filing).count() == self.committed[filing.pk]
        assert Account.objects.filter(pk__in=[f.account_id for f in self.filings]).count() == len(
            self.filings
        )


class TestFilingStateMachine(TestCase):
    def test_it_keeps_the_state_machine_sound_under_random_use(self):
        run_state_machine_as_test(
            FilingMachine,
            settings=settings(
                max_examples=40,
                stateful_step_count=100,
                # The same runs every time, so that what they reach (asserted below) is no luck.
                derandomize=True,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
        for name in (
            "withdraw",
            "approve",
            "sign_off",
            "return_from_signoff",
            "hand_over_signature",
            "escalated",
            "asked_for_a_change",
            "approve_change",
            "return_change",
            "withdraw_change",
        ):
            assert REACHED[name], f"no run took {name}: {dict(REACHED)}"
