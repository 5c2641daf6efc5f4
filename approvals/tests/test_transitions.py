"""Every transition, for every role, through the service every caller uses."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm_log.models import StateLog

from approvals import models, services
from approvals.models import (
    COMMENT_REQUIRED,
    FORBIDDEN_NAME,
    WITHDRAW_REASON_REQUIRED,
    Filing,
)
from approvals.tests.factories import filing_in
from registry.models import Account
from registry.tests.factories import UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
S = Filing.State


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def closure_args():
    return {"kind": Account.Disposition.DISSOLVE, "reason": "任务已结束"}


# name, source state, account columns, extra arguments, the role allowed, the target state
CASES = [
    ("submit", S.DRAFT, {}, dict, "filer", S.SUBMITTED),
    ("submit", S.RETURNED, {}, dict, "filer", S.SUBMITTED),
    ("withdraw", S.SUBMITTED, {}, lambda: {"comment": "名称写错了"}, "filer", S.DRAFT),
    (
        "return_for_revision",
        S.SUBMITTED,
        {},
        lambda: {"comment": "补充职务"},
        "reviewer",
        S.RETURNED,
    ),
    # The default chain: a school account waits for a leader's sign-off (test_signoff.py).
    ("approve", S.SUBMITTED, {"naming_level": "school"}, dict, "reviewer", S.AWAITING_SIGNOFF),
    ("register", S.SUBMITTED, {}, dict, "reviewer", S.REGISTERED),
    ("register", S.SUBMITTED, {"naming_level": "work"}, dict, "reviewer", S.REGISTERED),
    ("order_closure", S.SUBMITTED, {}, closure_args, "reviewer", S.CLOSING),
    ("order_closure", S.APPROVED, {}, closure_args, "reviewer", S.CLOSING),
    ("order_closure", S.REGISTERED, {}, closure_args, "reviewer", S.CLOSING),
    ("request_closure", S.APPROVED, {}, closure_args, "filer", S.CLOSING),
    ("request_closure", S.REGISTERED, {}, closure_args, "filer", S.CLOSING),
    ("report_closed", S.CLOSING, {}, lambda: {"evidence": png()}, "filer", S.CLOSING),
]
ROLES = ["filer", "outsider", "reviewer", "nobody", "anonymous"]


@pytest.fixture
def people(filer, outsider, reviewer):
    return {
        "filer": filer,
        "outsider": outsider,
        "reviewer": reviewer,
        "nobody": UserFactory(username="nobody"),
        "anonymous": AnonymousUser(),
    }


def _filing(state, department, **fields):
    return filing_in(state, department=department, **fields)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "source", "fields", "arguments", "allowed", "target"), CASES)
def test_it_lets_only_the_right_role_take_each_transition(
    people, department, role, name, source, fields, arguments, allowed, target
):
    filing = _filing(source, department, **fields)
    user = people[role]
    if role == allowed:
        services.step_take(filing, name, by=user, **arguments())
        filing.refresh_from_db()
        assert filing.state == target
        logs = list(StateLog.objects.for_(filing))
        assert len(logs) == 1
        assert (logs[0].by, logs[0].source_state, logs[0].state, logs[0].transition) == (
            user,
            source,
            target,
            name,
        )
    else:
        with pytest.raises(PermissionDenied) as refused:
            services.step_take(filing, name, by=user, **arguments())
        assert str(refused.value)  # says why
        filing.refresh_from_db()
        assert filing.state == source
        assert not StateLog.objects.for_(filing).exists()


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_a_reviewer_confirm_a_reported_closure(people, department, role):
    filing = _filing(S.CLOSING, department)
    services.step_take(filing, "report_closed", by=people["filer"], evidence=png())
    if role == "reviewer":
        services.step_take(filing, "confirm_closed", by=people[role], comment="已核实")
        filing.refresh_from_db()
        assert filing.state == S.CLOSED
        assert StateLog.objects.for_(filing).latest().description == "已核实"
    else:
        with pytest.raises(PermissionDenied):
            services.step_take(filing, "confirm_closed", by=people[role])
        filing.refresh_from_db()
        assert filing.state == S.CLOSING


def test_it_records_the_comment_and_the_reviewer_on_a_return(department, reviewer):
    filing = _filing(S.SUBMITTED, department)
    services.step_take(filing, "return_for_revision", by=reviewer, comment="请补充成员人数")
    log = StateLog.objects.for_(filing).get()
    assert (log.by, log.description, log.source_state, log.state) == (
        reviewer,
        "请补充成员人数",
        S.SUBMITTED,
        S.RETURNED,
    )


def test_it_refuses_a_return_without_a_comment(department, reviewer):
    filing = _filing(S.SUBMITTED, department)
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "return_for_revision", by=reviewer, comment="  ")
    assert refused.value.message_dict["comment"] == [str(COMMENT_REQUIRED)]
    filing.refresh_from_db()
    assert filing.state == S.SUBMITTED


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("approve", S.DRAFT),
        ("register", S.RETURNED),
        ("return_for_revision", S.APPROVED),
        ("confirm_closed", S.SUBMITTED),
        ("order_closure", S.CLOSED),
    ],
)
def test_it_says_a_transition_is_not_possible_from_this_state(department, reviewer, name, state):
    filing = _filing(state, department, naming_level="school")
    arguments = {"comment": "x"} if name == "return_for_revision" else {}
    if name == "order_closure":
        arguments = closure_args()
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, name, by=reviewer, **arguments)
    assert refused.value.messages == [
        services.NOT_FROM_STATE
        % {"action": services.step_label(Filing, name), "state": Filing.State(state).label}
    ]


def test_it_lists_the_missing_columns_when_submitting(department, filer):
    filing = _filing(S.DRAFT, department, purpose="", owner_phone="", number="")
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "submit", by=filer)
    [message] = refused.value.messages
    for column in ("purpose", "owner's phone", "number or ID"):
        assert (
            str(
                Account._meta.get_field(
                    {
                        "purpose": "purpose",
                        "owner's phone": "owner_phone",
                        "number or ID": "number",
                    }[column]
                ).verbose_name
            )
            in message
        )
    assert filing.state == S.DRAFT


def test_it_does_not_ask_a_wechat_group_for_a_number(department, filer):
    filing = _filing(S.DRAFT, department, platform=Account.Platform.WECHAT_GROUP, number="")
    services.step_take(filing, "submit", by=filer)
    assert filing.state == S.SUBMITTED


def test_it_asks_an_official_account_for_its_type(department, filer):
    filing = _filing(S.DRAFT, department, platform=Account.Platform.WECHAT_OFFICIAL)
    assert models.submit_problems(filing) == [
        models.MISSING_FIELDS % {"fields": Account._meta.get_field("account_type").verbose_name}
    ]


def test_it_refuses_a_submission_without_the_r6_acknowledgement(department, filer):
    filing = _filing(S.DRAFT, department, rules_acknowledged=False)
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "submit", by=filer)
    assert refused.value.messages == [str(models.RULES_NOT_ACKNOWLEDGED)]


def test_it_approves_only_school_level_accounts(department, reviewer):
    filing = _filing(S.SUBMITTED, department, naming_level="department")
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "approve", by=reviewer)
    assert refused.value.messages == [str(models.NOT_SCHOOL_LEVEL)]


def test_it_registers_only_department_or_work_level_accounts(department, reviewer):
    filing = _filing(S.SUBMITTED, department, naming_level="school")
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "register", by=reviewer)
    assert refused.value.messages == [str(models.NOT_DEPARTMENT_LEVEL)]


@pytest.mark.parametrize("name", ["approve", "register"])
def test_it_keeps_only_accounts_proposed_for_keeping(department, reviewer, name):
    level = "school" if name == "approve" else "department"
    filing = _filing(
        S.SUBMITTED, department, naming_level=level, disposition="dissolve", disposition_reason="x"
    )
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, name, by=reviewer)
    assert refused.value.messages == [
        models.NOT_KEEP % {"disposition": Account.Disposition.DISSOLVE.label}
    ]


@pytest.mark.parametrize("name", ["approve", "register"])
def test_it_blocks_a_forbidden_name(department, reviewer, name):
    level = "school" if name == "approve" else "department"
    filing = _filing(S.SUBMITTED, department, naming_level=level, name="省财政厅政策宣传群")
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, name, by=reviewer)
    assert refused.value.messages == [models.FORBIDDEN_NAME % {"pattern": "财政厅"}]
    filing.refresh_from_db()
    assert filing.state == S.SUBMITTED


def test_it_reads_the_forbidden_patterns_from_settings(settings, department, reviewer):
    settings.NEWMEDIA_FORBIDDEN_NAME_PATTERNS = [r"^内部.*群$"]
    blocked = _filing(S.SUBMITTED, department, name="内部测试群")
    allowed = _filing(S.SUBMITTED, department, name="省财政厅政策宣传群")
    assert models.register_problems(blocked) == [models.FORBIDDEN_NAME % {"pattern": r"^内部.*群$"}]
    assert models.register_problems(allowed) == []


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"kind": "", "reason": "x"}, "kind", services.KIND_REQUIRED),
        ({"kind": "keep", "reason": "x"}, "kind", services.KIND_REQUIRED),
        ({"kind": "dissolve", "reason": " "}, "reason", services.REASON_REQUIRED),
        ({"kind": "merge", "reason": "重复"}, "merge_into", services.SURVIVOR_REQUIRED),
    ],
)
def test_it_requires_a_closure_kind_reason_and_survivor(
    department, reviewer, arguments, field, message
):
    filing = _filing(S.SUBMITTED, department)
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "order_closure", by=reviewer, **arguments)
    assert refused.value.message_dict[field] == [str(message)]
    filing.refresh_from_db()
    assert filing.state == S.SUBMITTED


def test_it_refuses_a_merge_into_itself_or_into_a_closing_account(department, reviewer):
    filing = _filing(S.SUBMITTED, department)
    closing = _filing(S.CLOSING, department)
    for survivor, message in (
        (filing.account, services.SURVIVOR_IS_SELF),
        (closing.account, services.SURVIVOR_CLOSING),
    ):
        with pytest.raises(ValidationError) as refused:
            services.step_take(
                filing,
                "order_closure",
                by=reviewer,
                kind="merge",
                reason="重复",
                merge_into=survivor,
            )
        assert refused.value.message_dict["merge_into"] == [str(message)]


def test_it_records_a_merge_with_its_survivor(department, reviewer):
    filing = _filing(S.SUBMITTED, department)
    survivor = _filing(S.REGISTERED, department).account
    services.step_take(
        filing, "order_closure", by=reviewer, kind="merge", reason="重复建设", merge_into=survivor
    )
    filing.refresh_from_db()
    assert (filing.state, filing.closure_kind, filing.closure_merge_into) == (
        S.CLOSING,
        "merge",
        survivor,
    )
    assert StateLog.objects.for_(filing).get().description == "重复建设"


def test_it_drops_a_survivor_named_for_a_closure_that_is_not_a_merge(department, reviewer):
    filing = _filing(S.SUBMITTED, department)
    survivor = _filing(S.REGISTERED, department).account
    services.step_take(
        filing, "order_closure", by=reviewer, kind="take_down", reason="无需要", merge_into=survivor
    )
    filing.refresh_from_db()
    assert filing.closure_merge_into is None


def test_it_confirms_a_closure_only_after_the_filer_reported_it(department, reviewer):
    filing = _filing(S.CLOSING, department)
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "confirm_closed", by=reviewer)
    assert refused.value.messages == [str(models.NOT_REPORTED)]


def test_it_keeps_a_closed_account_in_the_register(department, filer, reviewer):
    filing = _filing(S.CLOSING, department)
    services.step_take(filing, "report_closed", by=filer, evidence=png())
    services.step_take(filing, "confirm_closed", by=reviewer)
    assert Account.objects.filter(pk=filing.account_id).exists()
    assert [log.transition for log in StateLog.objects.for_(filing).order_by("pk")] == [
        "report_closed",
        "confirm_closed",
    ]


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"%PDF-1.7 not a screenshot", "shot.png"), (b"MZ\x90\x00 an executable", "shot.jpg")],
)
def test_it_refuses_evidence_that_is_not_a_screenshot_and_stores_nothing(
    settings, department, filer, content, name
):
    filing = _filing(S.CLOSING, department)
    with pytest.raises(ValidationError) as refused:
        services.step_take(
            filing, "report_closed", by=filer, evidence=SimpleUploadedFile(name, content)
        )
    assert "evidence" in refused.value.message_dict
    filing.refresh_from_db()
    assert filing.closure_reported_at is None
    assert not (settings.MEDIA_ROOT / "evidence").exists()


def test_it_refuses_evidence_over_the_size_limit(settings, department, filer):
    settings.NEWMEDIA_EVIDENCE_MAX_BYTES = 10
    filing = _filing(S.CLOSING, department)
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "report_closed", by=filer, evidence=png())
    assert "evidence" in refused.value.message_dict
    assert not (settings.MEDIA_ROOT / "evidence").exists()


def test_it_stores_evidence_under_a_generated_name(department, filer):
    filing = _filing(S.CLOSING, department)
    services.step_take(filing, "report_closed", by=filer, evidence=png("../../etc/passwd.png"))
    filing.refresh_from_db()
    assert filing.closure_evidence.name.startswith("evidence/")
    assert "passwd" not in filing.closure_evidence.name
    assert filing.closure_evidence.read() == PNG


def test_it_lets_one_of_two_concurrent_approvals_win(department, reviewer, second_reviewer):
    """Both reviewers loaded the submitted account; the second save finds the state changed."""
    filing = _filing(S.SUBMITTED, department, naming_level="school")
    seen_by_first = Filing.objects.get(pk=filing.pk)
    seen_by_second = Filing.objects.get(pk=filing.pk)
    services.step_take(seen_by_first, "approve", by=reviewer)
    with pytest.raises(ValidationError) as refused:
        services.step_take(seen_by_second, "approve", by=second_reviewer)
    assert refused.value.code == "stale"
    assert refused.value.messages == [services.STALE_STATE % {"state": S.AWAITING_SIGNOFF.label}]
    log = StateLog.objects.for_(filing).get()  # exactly one: the loser's row was rolled back
    assert log.by == reviewer


def test_it_refuses_a_transition_on_a_state_the_user_did_not_see(department, reviewer):
    filing = _filing(S.SUBMITTED, department)
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "register", by=reviewer, expected_state=S.RETURNED)
    assert refused.value.code == "stale"
    assert not StateLog.objects.for_(filing).exists()


def test_a_withdrawal_says_why(department, filer):
    filing = _filing(S.SUBMITTED, department)
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "withdraw", by=filer, comment=" ")
    assert refused.value.message_dict["comment"] == [str(WITHDRAW_REASON_REQUIRED)]
    filing.refresh_from_db()
    assert filing.state == S.SUBMITTED


def test_a_withdrawal_after_a_reviewer_acted_is_refused_with_the_state_now(
    department, filer, reviewer
):
    filing = _filing(S.SUBMITTED, department)
    seen_by_filer = Filing.objects.get(pk=filing.pk)
    services.step_take(filing, "register", by=reviewer)
    with pytest.raises(ValidationError) as refused:
        services.step_take(
            seen_by_filer, "withdraw", by=filer, comment="写错了", expected_state=S.SUBMITTED
        )
    assert refused.value.messages == [services.STALE_STATE % {"state": S.REGISTERED.label}]
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "withdraw", by=filer, comment="写错了")
    assert refused.value.messages == [
        services.NOT_FROM_STATE
        % {"action": services.step_label(Filing, "withdraw"), "state": S.REGISTERED.label}
    ]


def test_a_name_that_r1_forbids_cannot_be_submitted(department, filer):
    filing = _filing(S.DRAFT, department, name="江西省财政厅工作群")
    with pytest.raises(ValidationError) as refused:
        services.step_take(filing, "submit", by=filer)
    pattern = filing.account.forbidden_pattern
    assert pattern
    assert refused.value.messages == [FORBIDDEN_NAME % {"pattern": pattern}]
    filing.refresh_from_db()
    assert filing.state == S.DRAFT
