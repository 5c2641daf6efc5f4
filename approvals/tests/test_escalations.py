"""Steps that wait too long climb: the assignees are reminded once a day after three working
days, the leaders get a digest after five, whatever the number of sweeps."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import EscalationLog, Filing, LeaveDelegation, Notification
from approvals.services.escalations import escalations_send, working_days_before
from approvals.tests.factories import filing_in
from registry.roles import LEADER_GROUP
from registry.tests.factories import UserFactory

S = Filing.State
MONDAY = dt.date(2026, 12, 7)


def _waiting(state, department, *, since: dt.date, **fields):
    filing = filing_in(state, department=department, **fields)
    at = timezone.make_aware(dt.datetime.combine(since, dt.time(10)))
    Filing.objects.filter(pk=filing.pk).update(state_changed_at=at)
    return Filing.objects.get(pk=filing.pk)


@pytest.fixture
def leader(db):
    user = UserFactory(username="leader")
    user.groups.add(Group.objects.get(name=LEADER_GROUP))
    return user


def test_working_days_skip_the_weekend():
    assert working_days_before(MONDAY, 1) == dt.date(2026, 12, 4)  # the Friday before
    assert working_days_before(MONDAY, 3) == dt.date(2026, 12, 2)


def test_a_submission_waiting_over_three_working_days_reminds_the_reviewers_once_a_day(
    department, reviewer, second_reviewer
):
    # Three working days before Monday is Wednesday: waiting since Tuesday is past it.
    late = _waiting(S.SUBMITTED, department, since=dt.date(2026, 12, 1))
    _waiting(S.SUBMITTED, department, since=dt.date(2026, 12, 3))  # Thursday: not yet
    summary = escalations_send(today=MONDAY)
    assert (summary.reminded, summary.digests) == (2, 0)
    assert set(EscalationLog.objects.values_list("filing", "recipient__username")) == {
        (late.pk, "reviewer"),
        (late.pk, "reviewer2"),
    }
    again = escalations_send(today=MONDAY)
    assert (again.reminded, Notification.objects.count()) == (0, 2)
    # The next day it is reminded again.
    assert escalations_send(today=MONDAY + dt.timedelta(days=1)).reminded == 2


def test_a_submission_handed_to_a_reviewer_reminds_only_them(department, reviewer, second_reviewer):
    late = _waiting(S.SUBMITTED, department, since=dt.date(2026, 12, 1))
    services.step_take(late, "hand_over", by=reviewer, to=second_reviewer)
    Filing.objects.filter(pk=late.pk).update(
        state_changed_at=timezone.make_aware(dt.datetime(2026, 12, 1, 10))
    )
    escalations_send(today=MONDAY)
    assert list(EscalationLog.objects.values_list("recipient__username", flat=True)) == [
        "reviewer2"
    ]


def test_a_sign_off_waiting_reminds_its_pending_signer(department, reviewer, leader):
    filing = filing_in(S.SUBMITTED, department=department, naming_level="school")
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)):
        services.step_take(filing, "approve", by=reviewer)
    escalations_send(today=MONDAY)
    assert list(EscalationLog.objects.values_list("recipient__username", flat=True)) == ["leader"]


def test_past_five_working_days_the_leaders_get_the_digest(department, reviewer, leader):
    _waiting(S.SUBMITTED, department, since=dt.date(2026, 11, 27))  # a Friday
    summary = escalations_send(today=MONDAY)
    assert (summary.reminded, summary.digests) == (1, 1)
    digest = EscalationLog.objects.get(recipient=leader)
    assert digest.to_leader
    assert escalations_send(today=MONDAY).digests == 0


def test_the_command_centre_shows_the_steps_waiting_too_long(department, reviewer, client_for):
    from approvals.tests.factories import CampaignFactory

    CampaignFactory(is_active=True)
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)):
        _waiting(S.SUBMITTED, department, since=dt.date(2026, 12, 1))
        page = client_for(reviewer).get(reverse("approvals:command_centre"))
    assert page.context["totals"].overdue_steps == 1


def test_the_reminder_of_someone_away_goes_to_whoever_acts_for_them(
    department, reviewer, second_reviewer
):
    late = _waiting(S.SUBMITTED, department, since=dt.date(2026, 12, 1))
    Filing.objects.filter(pk=late.pk).update(assignee=second_reviewer)
    LeaveDelegation.objects.create(
        user=second_reviewer,
        delegate=reviewer,
        starts_on=dt.date(2026, 12, 7),
        ends_on=dt.date(2026, 12, 11),
    )
    escalations_send(today=MONDAY)
    assert list(EscalationLog.objects.values_list("recipient__username", flat=True)) == ["reviewer"]
