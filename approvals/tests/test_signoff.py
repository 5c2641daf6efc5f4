"""Sign-off chains: after the reviewer's decision, the leaders of each level sign (或签: any one
of them, 会签: every one), any level may return it to the filer, and a filing keeps the chain it
entered with."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from approvals import selectors, services
from approvals.models import (
    HANDOVER_TO_REQUIRED,
    Filing,
    Handover,
    LeaveDelegation,
    Notification,
    SignOff,
    SignOffLevel,
)
from approvals.tests.factories import filing_in
from registry.roles import LEADER_GROUP
from registry.tests.factories import UserFactory

S = Filing.State


def _leader(username, group_name=LEADER_GROUP):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=LEADER_GROUP))
    if group_name != LEADER_GROUP:
        user.groups.add(Group.objects.get_or_create(name=group_name)[0])
    return type(user).objects.get(pk=user.pk)  # permissions are cached on the user object


@pytest.fixture
def leader(db):
    return _leader("leader1")


@pytest.fixture
def countersigners(db):
    """A second level for school accounts: two leaders who must both sign (会签)."""
    group, _created = Group.objects.get_or_create(name="党委会签")
    SignOffLevel.objects.create(naming_level="school", position=2, group=group, mode="all")
    return _leader("leader2", "党委会签"), _leader("leader3", "党委会签")


def _approved(department, reviewer):
    filing = filing_in(S.SUBMITTED, department=department, naming_level="school")
    return services.step_take(filing, "approve", by=reviewer)


def _fresh(filing):
    return Filing.objects.select_related("account__department").get(pk=filing.pk)


def test_a_school_account_waits_for_the_leader_after_the_reviewer_approves(
    department, reviewer, leader
):
    filing = _approved(department, reviewer)
    assert filing.state == S.AWAITING_SIGNOFF
    assert filing.pending_signer_ids() == {leader.pk}
    services.step_take(_fresh(filing), "sign_off", by=leader, comment="同意")
    filing = _fresh(filing)
    assert filing.state == S.APPROVED
    assert list(SignOff.objects.filter(filing=filing).values_list("signer", "comment")) == [
        (leader.pk, "同意")
    ]


def test_a_department_account_needs_no_sign_off_by_default(department, reviewer):
    filing = filing_in(S.SUBMITTED, department=department)
    assert services.step_take(filing, "register", by=reviewer).state == S.REGISTERED


def test_a_countersigned_level_waits_for_every_member(department, reviewer, leader, countersigners):
    second, third = countersigners
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    filing = _fresh(filing)
    assert (filing.state, filing.signoff_level) == (S.AWAITING_SIGNOFF, 1)
    assert filing.pending_signer_ids() == {second.pk, third.pk}
    services.step_take(filing, "sign_off", by=second)
    filing = _fresh(filing)
    assert (filing.state, filing.pending_signer_ids()) == (S.AWAITING_SIGNOFF, {third.pk})
    services.step_take(filing, "sign_off", by=third)
    assert _fresh(filing).state == S.APPROVED
    assert StateLog.objects.for_(filing).filter(transition="sign_off").count() == 3


def test_a_leader_of_another_level_is_refused_with_the_reason(
    department, reviewer, leader, countersigners
):
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    with pytest.raises(PermissionDenied) as refused:
        services.step_take(_fresh(filing), "sign_off", by=leader)
    for signer in countersigners:
        assert (signer.get_full_name() or signer.username) in str(refused.value)
    assert _fresh(filing).signoff_level == 1
    response = _client_post(leader, filing, "sign_off")
    assert response.status_code == 403


def _client_post(user, filing, name, **data):
    from conftest import CsrfClient

    client = CsrfClient()
    client.force_login(user)
    return client.post(
        reverse("approvals:account_transition", args=[filing.account_id, name]),
        {f"{name}-{key}": value for key, value in data.items()},
    )


def test_a_leader_signs_a_level_only_once(department, reviewer, leader, countersigners):
    second, _third = countersigners
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    services.step_take(_fresh(filing), "sign_off", by=second)
    with pytest.raises(PermissionDenied):
        services.step_take(_fresh(filing), "sign_off", by=second)
    assert SignOff.objects.filter(filing=filing, signer=second).count() == 1


def test_two_leaders_of_an_any_level_signing_at_once_one_wins(department, reviewer, leader):
    other = _leader("leader9")
    filing = _approved(department, reviewer)
    seen_by_first, seen_by_second = _fresh(filing), _fresh(filing)
    services.step_take(seen_by_first, "sign_off", by=leader)
    with pytest.raises(ValidationError) as refused:
        services.step_take(seen_by_second, "sign_off", by=other)
    assert refused.value.code == "stale"
    assert list(SignOff.objects.filter(filing=filing).values_list("signer", flat=True)) == [
        leader.pk
    ]


def test_two_signatures_on_one_level_of_a_longer_chain_at_once_one_wins(
    department, reviewer, leader, countersigners
):
    """The state does not change at the first level of two: the lock on the level catches it."""
    other = _leader("leader9")
    filing = _approved(department, reviewer)
    seen_by_first, seen_by_second = _fresh(filing), _fresh(filing)
    services.step_take(seen_by_first, "sign_off", by=leader)
    with pytest.raises(ValidationError) as refused:
        services.step_take(seen_by_second, "sign_off", by=other)
    assert refused.value.code == "stale"
    filing = _fresh(filing)
    assert (filing.signoff_level, SignOff.objects.filter(filing=filing).count()) == (1, 1)


def test_any_level_may_return_it_to_the_filer_with_a_comment(department, reviewer, leader, filer):
    filing = _approved(department, reviewer)
    with pytest.raises(ValidationError):
        services.step_take(_fresh(filing), "return_from_signoff", by=leader, comment=" ")
    services.step_take(_fresh(filing), "return_from_signoff", by=leader, comment="名称不规范")
    filing = _fresh(filing)
    assert (filing.state, filing.signoff_group_id) == (S.RETURNED, None)
    # Submitted and approved again: a new round, the old signatures stay as history.
    services.step_take(filing, "submit", by=filer)
    filing = services.step_take(_fresh(filing), "approve", by=reviewer)
    assert (filing.signoff_round, filing.signoff_level) == (2, 0)


def test_a_filing_keeps_the_chain_it_entered_with(department, reviewer, leader, countersigners):
    filing = _approved(department, reviewer)
    SignOffLevel.objects.filter(position=2).delete()
    services.step_take(_fresh(filing), "sign_off", by=leader)
    filing = _fresh(filing)
    assert (filing.state, filing.signoff_level) == (S.AWAITING_SIGNOFF, 1)
    assert filing.signoff_chain[1]["group_name"] == "党委会签"
    later = _approved(department, reviewer)
    assert len(later.signoff_chain) == 1


def test_a_countersigner_leaving_the_group_settles_the_level(
    department, reviewer, leader, countersigners
):
    second, third = countersigners
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    services.step_take(_fresh(filing), "sign_off", by=second)
    third.groups.remove(Group.objects.get(name="党委会签"))
    filing = _fresh(filing)
    assert filing.state == S.APPROVED
    settled = StateLog.objects.for_(filing).get(transition="settle_signoff")
    assert settled.by is None and "党委会签" in settled.description


def test_a_level_nobody_signed_is_not_settled_when_its_group_empties(department, reviewer, leader):
    filing = _approved(department, reviewer)
    leader.groups.remove(Group.objects.get(name=LEADER_GROUP))
    assert _fresh(filing).state == S.AWAITING_SIGNOFF


def test_nobody_takes_the_systems_step(department, reviewer, leader, countersigners):
    filing = _approved(department, reviewer)
    with pytest.raises(PermissionDenied):
        services.step_take(_fresh(filing), "settle_signoff", by=leader)


def test_the_leaders_queue_and_dashboard_list_what_waits_for_them(
    department, reviewer, leader, countersigners, client_for
):
    second, _third = countersigners
    filing = _approved(department, reviewer)
    # The first level is the whole 审批领导 group (或签): each of them sees it.
    assert [a.pk for a in selectors.signoff_queue(user=leader)] == [filing.account_id]
    assert [a.pk for a in selectors.signoff_queue(user=second)] == [filing.account_id]
    assert list(selectors.signoff_queue(user=reviewer)) == []
    services.step_take(_fresh(filing), "sign_off", by=leader)
    assert list(selectors.signoff_queue(user=leader)) == []
    assert [a.pk for a in selectors.signoff_queue(user=second)] == [filing.account_id]
    page = client_for(second).get(reverse("approvals:signoff_queue"))
    assert filing.account.name in page.content.decode()
    dashboard = client_for(second).get(reverse("approvals:dashboard"))
    assert dashboard.context["signoff_todo"]["count"] == 1


def test_the_queue_is_the_leaders_only(client_for, filer, reviewer):
    assert client_for(filer).get(reverse("approvals:signoff_queue")).status_code == 403


def test_the_account_page_shows_the_chain(department, reviewer, leader, countersigners, client_for):
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader, comment="同意上报")
    page = client_for(reviewer).get(filing.account.get_absolute_url())
    chain = page.context["chain"]
    assert [(level.group, len(level.signatures), level.current) for level in chain] == [
        (LEADER_GROUP, 1, False),
        ("党委会签", 0, True),
    ]
    assert chain[0].signatures[0].comment == "同意上报"
    assert sorted(chain[1].pending) == sorted(
        u.get_full_name() or u.username for u in countersigners
    )


def test_the_leaders_queue_keeps_a_constant_number_of_queries(
    department, reviewer, leader, client_for, django_assert_max_num_queries
):
    for _n in range(3):
        _approved(department, reviewer)
    client = client_for(leader)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("approvals:signoff_queue"))
    for _n in range(10):
        _approved(department, reviewer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("approvals:signoff_queue"))


def test_an_administrator_edits_the_chains_in_the_admin(client_for, admin_user):
    group = Group.objects.create(name="校长办公会")
    client = client_for(admin_user)
    assert client.get(reverse("admin:approvals_signofflevel_changelist")).status_code == 200
    response = client.post(
        reverse("admin:approvals_signofflevel_add"),
        {"naming_level": "department", "position": 1, "group": group.pk, "mode": "all"},
    )
    assert response.status_code == 302
    level = SignOffLevel.objects.get(naming_level="department")
    assert (level.group, level.mode) == (group, "all")
    # A second level at the same position is refused, with the reason.
    again = client.post(
        reverse("admin:approvals_signofflevel_add"),
        {"naming_level": "department", "position": 1, "group": group.pk, "mode": "any"},
    )
    assert "该审批链在此顺序上已有一个层级。" in again.content.decode()


# Handing over (转交).


def test_a_leader_hands_their_signature_to_another_leader(
    department, reviewer, leader, countersigners
):
    second, third = countersigners
    deputy = _leader("deputy")
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    services.step_take(_fresh(filing), "hand_over_signature", by=third, to=deputy, comment="出差")
    filing = _fresh(filing)
    assert filing.pending_signer_ids() == {second.pk, deputy.pk}
    assert [a.pk for a in selectors.signoff_queue(user=deputy)] == [filing.account_id]
    assert list(selectors.signoff_queue(user=third)) == []
    with pytest.raises(PermissionDenied):
        services.step_take(filing, "sign_off", by=third)
    services.step_take(_fresh(filing), "sign_off", by=deputy, comment="代签")
    services.step_take(_fresh(filing), "sign_off", by=second)
    filing = _fresh(filing)
    assert filing.state == S.APPROVED
    on_behalf = SignOff.objects.get(filing=filing, signer=deputy)
    assert on_behalf.member == third
    # The history shows the handover, with who, to whom and why.
    log = StateLog.objects.for_(filing).get(transition="hand_over_signature")
    assert (log.by, log.description) == (third, "出差")


@pytest.mark.parametrize("case", ["self", "not_a_leader", "loop", "nobody"])
def test_a_handover_to_the_wrong_person_is_refused(
    case, department, reviewer, leader, countersigners, filer
):
    second, third = countersigners
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    if case == "loop":
        services.step_take(_fresh(filing), "hand_over_signature", by=third, to=second)
    to = {"self": second, "not_a_leader": filer, "loop": third, "nobody": None}[case]
    before = Handover.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.step_take(_fresh(filing), "hand_over_signature", by=second, to=to)
    assert "to" in refused.value.message_dict
    assert Handover.objects.count() == before


def test_a_reviewer_hands_submissions_over_in_bulk(
    department, reviewer, second_reviewer, client_for
):
    filings = [filing_in(S.SUBMITTED, department=department) for _n in range(2)]
    response = client_for(reviewer).post(
        reverse("approvals:review_queue"),
        {"action": "hand_over", "to": second_reviewer.pk, "filings": [f.pk for f in filings]},
    )
    assert response.status_code == 302
    assert set(Filing.objects.filter(assignee=second_reviewer).values_list("pk", flat=True)) == {
        f.pk for f in filings
    }
    todo = selectors.reviewer_todo(user=second_reviewer)
    assert {a.pk for a in todo["handed_to_me"]} == {f.account_id for f in filings}
    assert Notification.objects.filter(recipient=second_reviewer).count() == 2
    # Handing over to nobody is refused by the form, with the reason.
    again = client_for(reviewer).post(
        reverse("approvals:review_queue"),
        {"action": "hand_over", "filings": [filings[0].pk]},
    )
    assert again.status_code == 200
    assert str(HANDOVER_TO_REQUIRED) in again.content.decode()


# Leave (from a day to a day, what is theirs goes to a colleague of the same role).


def _away(user, delegate, *, days=(0, 3)):
    today = timezone.localdate()
    leave = LeaveDelegation(
        user=user,
        delegate=delegate,
        starts_on=today + dt.timedelta(days=days[0]),
        ends_on=today + dt.timedelta(days=days[1]),
    )
    leave.full_clean()
    leave.save()
    return leave


def test_while_a_countersigner_is_away_their_colleague_signs_for_them(
    department, reviewer, leader, countersigners
):
    second, third = countersigners
    _away(third, leader)
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    filing = _fresh(filing)
    assert filing.pending_signer_ids() == {second.pk, leader.pk}
    assert [a.pk for a in selectors.signoff_queue(user=leader)] == [filing.account_id]
    services.step_take(filing, "sign_off", by=leader)
    assert SignOff.objects.get(filing=filing, member=third).signer == leader
    services.step_take(_fresh(filing), "sign_off", by=second)
    assert _fresh(filing).state == S.APPROVED


def test_a_leave_not_yet_begun_changes_nothing(department, reviewer, leader, countersigners):
    second, third = countersigners
    _away(third, leader, days=(1, 3))
    filing = _approved(department, reviewer)
    services.step_take(_fresh(filing), "sign_off", by=leader)
    assert _fresh(filing).pending_signer_ids() == {second.pk, third.pk}


def test_a_submission_handed_to_a_reviewer_away_goes_to_whoever_acts_for_them(
    department, reviewer, second_reviewer
):
    third = UserFactory(username="reviewer3")
    third.groups.add(Group.objects.get(name="审核员"))
    _away(second_reviewer, third)
    filing = filing_in(S.SUBMITTED, department=department)
    services.step_take(filing, "hand_over", by=reviewer, to=second_reviewer)
    assert _fresh(filing).assignee == third


@pytest.mark.parametrize("case", ["self", "not_same_role", "loop"])
def test_a_wrong_leave_delegation_is_refused(case, leader, countersigners, filer):
    second, third = countersigners
    if case == "loop":
        _away(second, third)
    delegate = {"self": leader, "not_same_role": filer, "loop": second}[case]
    away = third if case == "loop" else leader
    with pytest.raises(ValidationError) as refused:
        _away(away, delegate)
    assert "delegate" in refused.value.message_dict or refused.value.messages
    assert LeaveDelegation.objects.filter(user=away, delegate=delegate).count() == 0
