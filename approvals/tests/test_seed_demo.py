import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_fsm_log.models import StateLog

from approvals.management.commands.seed_demo import next_june_8
from approvals.models import Campaign, DepartmentReturn, Filing
from registry.models import Account, Department, Staff

pytestmark = pytest.mark.django_db


def _seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_loads_every_platform_and_state_with_their_history():
    output = _seed()
    assert Department.objects.count() == 12
    assert Account.objects.count() >= 200
    assert set(Account.objects.values_list("platform", flat=True)) == set(Account.Platform.values)
    assert set(Filing.objects.values_list("state", flat=True)) == set(Filing.State.values)
    # States were reached through the real transitions, so each non-draft filing has a history.
    moved = Filing.objects.exclude(state=Filing.State.DRAFT)
    assert (
        StateLog.objects.filter(object_id__in=moved.values("pk"))
        .values("object_id")
        .distinct()
        .count()
        == moved.count()
    )
    assert "reviewer1" in output and "filer_kj" in output and "admin" in output
    assert "leader1" in output


def test_it_shows_a_two_level_chain_with_a_countersignature_pending():
    _seed()
    waiting = Filing.objects.filter(state=Filing.State.AWAITING_SIGNOFF).order_by("signoff_level")
    assert [(f.signoff_level, len(f.signoff_chain)) for f in waiting] == [(0, 2), (1, 2)]
    # At the countersigning level one leader has signed and the other is still to sign.
    assert [
        u.username for u in get_user_model().objects.filter(pk__in=waiting[1].pending_signer_ids())
    ] == ["leader3"]
    approved = Filing.objects.filter(state=Filing.State.APPROVED)
    assert approved.exists()
    assert all(f.signoffs.count() == 3 for f in approved)


def test_it_can_run_again_without_duplicating_anything():
    _seed()
    counts = (Account.objects.count(), Staff.objects.count(), StateLog.objects.count())
    output = _seed()
    assert (Account.objects.count(), Staff.objects.count(), StateLog.objects.count()) == counts
    assert "filer_kj" in output


def test_it_opens_department_returns_in_several_states_through_the_services():
    _seed()
    campaign = Campaign.objects.get(is_active=True)
    demo_returns = DepartmentReturn.objects.filter(campaign=campaign)
    states = set(demo_returns.values_list("state", flat=True))
    assert {"not_started", "handed_in", "accepted", "returned"} <= states
    for department_return in demo_returns.exclude(state="not_started"):
        # Handed in first, its form stored, then the scan of that form.
        assert department_return.snapshots.get().pdf.read().startswith(b"%PDF-")
        assert department_return.scan.read().startswith(b"%PDF-")
        assert StateLog.objects.for_(department_return).exists()
    # Handed in means every account of the department was submitted first.
    handed_in = demo_returns.exclude(state="not_started").values("department")
    assert not Filing.objects.filter(
        account__department__in=handed_in, state__in=Filing.EDITABLE_STATES
    ).exists()
    # Seeding again opens nothing new.
    count = DepartmentReturn.objects.count()
    _seed()
    assert DepartmentReturn.objects.count() == count


def test_it_runs_an_active_campaign_ending_on_the_next_june_8():
    _seed()
    campaign = Campaign.objects.get(is_active=True)
    assert (campaign.deadline.month, campaign.deadline.day) == (6, 8)
    assert campaign.deadline >= datetime.date.today()


@pytest.mark.parametrize(
    ("today", "deadline"),
    [
        (datetime.date(2026, 11, 26), datetime.date(2027, 6, 8)),
        (datetime.date(2027, 6, 8), datetime.date(2027, 6, 8)),
        (datetime.date(2027, 1, 2), datetime.date(2027, 6, 8)),
    ],
)
def test_it_picks_the_next_june_8(today, deadline):
    assert next_june_8(today) == deadline


def test_its_logins_work(client):
    _seed()
    for username in ("filer_kj", "reviewer1", "admin"):
        assert client.login(username=username, password="demo-2026")


def test_it_shows_a_change_approved_with_its_history_and_one_waiting():
    from approvals.models import ChangeRequest
    from registry.models import AccountChange

    _seed()
    states = sorted(ChangeRequest.objects.values_list("state", flat=True))
    assert states == ["approved", "pending"]
    approved = ChangeRequest.objects.get(state="approved")
    history = AccountChange.objects.get(account=approved.account)
    assert history.path == AccountChange.Path.CHANGE_REQUEST
    assert history.changes["owner_name"][1] == "王芳"


def test_it_speaks_chinese_to_the_operator():
    output = _seed()
    assert "个演示账号" in output or "演示账号已存在" in output
    assert "演示登录账号（密码均为" in output
    assert "Created" not in output and "Demo logins" not in output


def test_it_shows_a_group_robot_for_the_reviewers_and_one_for_a_department_switched_off():
    from robots.models import Robot

    _seed()
    _seed()  # run twice: the same two
    robots = Robot.objects.order_by("platform")
    assert [(r.platform, r.department_id is None, r.is_active) for r in robots] == [
        ("dingtalk", True, False),
        ("wecom", False, False),
    ]
    for robot in robots:
        robot.full_clean()  # the placeholders are addresses the admin would accept


def test_its_api_token_reads_filer_kjs_department_only():
    from django.test import Client

    from approvals.management.commands.seed_demo import DEMO_API_KEY

    output = _seed()
    assert DEMO_API_KEY in output
    answer = Client().get("/api/accounts/", HTTP_AUTHORIZATION=f"Token {DEMO_API_KEY}")
    assert answer.status_code == 200
    assert {row["department_name"] for row in answer.json()["results"]} == {"会计学院"}
