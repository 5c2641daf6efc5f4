"""Group robots: posted once per event, signed as DingTalk documents, retried without doubling,
held to 20 a minute, and their keys never shown back or logged. Against a local HTTP server
that checks the platforms' rules (robot_server.py)."""

import logging
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import Campaign, Filing
from approvals.services.centre import department_remind
from approvals.services.escalations import escalations_send
from approvals.services.reminders import reminders_sweep
from approvals.tasks import flush_outbox
from approvals.tests.factories import filing_in
from robots.forms import RobotAdminForm
from robots.models import Robot, RobotMessage
from robots.services import RobotBusy, RobotFailed, robot_message, robot_message_send, robots_post

from .robot_server import DINGTALK_SECRET, DINGTALK_TOKEN, WECOM_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def robots(robot_server, department):
    """The department's WeCom robot and the reviewers' DingTalk robot, on the local server."""
    return (
        Robot.objects.create(
            name="学院群",
            platform="wecom",
            department=department,
            webhook_url=robot_server.wecom_url,
        ),
        Robot.objects.create(
            name="审核员群",
            platform="dingtalk",
            webhook_url=robot_server.dingtalk_url,
            secret=DINGTALK_SECRET,
        ),
    )


def _message(robot, event="e1"):
    robots_post([robot_message(robot=robot, event=event, subject="标题", text="正文", link="")])
    return RobotMessage.objects.get(robot=robot, event=event)


def test_a_submission_reaches_the_reviewers_robot_signed_and_a_result_the_departments(
    robots, robot_server, department, filer, reviewer, django_capture_on_commit_callbacks
):
    filing = filing_in(Filing.State.DRAFT, department=department, name="会计学院工作群")
    with django_capture_on_commit_callbacks(execute=True):
        services.step_take(filing, "submit", by=filer, comment="请审核")
    [text] = robot_server.texts("dingtalk")  # the signature checked by the server
    assert text.startswith("### 提交审核：会计学院工作群")
    assert "请审核" in text
    assert f"({filing.account.get_absolute_url()}" not in text  # the link is absolute
    assert f"{filing.account.get_absolute_url()})" in text
    assert robot_server.texts("wecom") == []
    filing.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.step_take(filing, "register", by=reviewer)
    [text] = robot_server.texts("wecom")
    assert "会计学院工作群" in text and "已登记" in text
    assert len(robot_server.texts("dingtalk")) == 1
    assert robot_server.refused == []
    assert not RobotMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_wrong_signing_secret_is_refused_by_the_platform_and_kept_as_failing(
    robots, robot_server
):
    _wecom, dingtalk = robots
    Robot.objects.filter(pk=dingtalk.pk).update(secret="SECwrong")
    message = _message(Robot.objects.get(pk=dingtalk.pk))
    with pytest.raises(RobotFailed):
        robot_message_send(message_id=message.pk)
    assert robot_server.refused == ["dingtalk 200 310000"]
    dingtalk.refresh_from_db()
    assert dingtalk.failing_since is not None
    assert "310000" in dingtalk.last_error


def test_the_sweep_tells_each_departments_robot_once_however_often_it_runs(
    robots, robot_server, department, filer, django_capture_on_commit_callbacks
):
    Campaign.objects.create(
        title="清理整治", starts_on=date(2027, 5, 1), deadline=date(2027, 6, 8), is_active=True
    )
    for _run in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            reminders_sweep(today=date(2027, 6, 1))
    [text] = robot_server.texts("wecom")
    assert department.name in text and "2027-06-08" in text


def test_a_reminder_from_the_command_centre_and_the_overdue_digest_reach_their_groups_once(
    robots, robot_server, department, filer, reviewer, django_capture_on_commit_callbacks
):
    Campaign.objects.create(
        title="清理整治", starts_on=date(2027, 5, 1), deadline=date(2027, 6, 8), is_active=True
    )
    for _click in range(2):  # a second click the same day sends nothing again
        with django_capture_on_commit_callbacks(execute=True):
            department_remind(department=department, by=reviewer, today=date(2027, 6, 2))
    [text] = robot_server.texts("wecom")
    assert department.name in text
    for _run in range(2):  # after the deadline: the reviewers' digest, once a day
        with django_capture_on_commit_callbacks(execute=True):
            reminders_sweep(today=date(2027, 6, 10))
    [digest] = robot_server.texts("dingtalk")
    assert department.name in digest


def test_a_days_escalations_reach_the_reviewers_robot_once(
    robots, robot_server, department, reviewer, second_reviewer, django_capture_on_commit_callbacks
):
    late = filing_in(Filing.State.SUBMITTED, department=department, name="迎新群")
    at = timezone.make_aware(datetime(2026, 12, 1, 10))
    Filing.objects.filter(pk=late.pk).update(state_changed_at=at)
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            escalations_send(today=date(2026, 12, 7))
    [text] = robot_server.texts("dingtalk")
    assert "迎新群" in text
    assert robot_server.texts("wecom") == []


def test_http_500_and_the_rate_limit_answer_are_retried_and_sent_once(robots, robot_server):
    wecom, _dingtalk = robots
    message = _message(wecom)
    robot_server.answers.extend([("http", 500), ("errcode", 45009)])
    with pytest.raises(RobotFailed):
        robot_message_send(message_id=message.pk)
    wecom.refresh_from_db()
    assert wecom.failing_since is not None and "500" in wecom.last_error
    with pytest.raises(RobotFailed):
        robot_message_send(message_id=message.pk)
    assert robot_message_send(message_id=message.pk) is True
    # A redelivered task, or a second worker, finds it sent.
    assert robot_message_send(message_id=message.pk) is False
    assert len(robot_server.texts("wecom")) == 1
    message.refresh_from_db()
    wecom.refresh_from_db()
    assert (message.attempts, message.error) == (3, "")
    assert wecom.failing_since is None and wecom.last_sent_at is not None


def test_a_robot_is_never_sent_more_than_its_messages_a_minute(robots, robot_server, settings):
    settings.NEWMEDIA_ROBOT_PER_MINUTE = 3
    wecom, _dingtalk = robots
    messages = [_message(wecom, event=f"e{n}") for n in range(5)]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for message in messages[:3]:
            assert robot_message_send(message_id=message.pk) is True
        with pytest.raises(RobotBusy) as busy:
            robot_message_send(message_id=messages[3].pk)
        assert 59 <= busy.value.wait <= 60
        assert RobotMessage.objects.get(pk=messages[3].pk).attempts == 0  # nothing was tried
        clock.shift(timedelta(seconds=61))
        for message in messages[3:]:
            assert robot_message_send(message_id=message.pk) is True
    assert len(robot_server.texts("wecom")) == 5


def test_what_fails_in_process_waits_for_the_flush_and_none_is_lost(
    robots, robot_server, department, reviewer, settings, django_capture_on_commit_callbacks
):
    """Without a broker the task runs in the request: a failure is not retried there and then,
    the page is not held up, and the outbox flush posts it later."""
    robot_server.answers.append(("http", 502))
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_take(filing, "return_for_revision", by=reviewer, comment="补充职务")
    [message] = RobotMessage.objects.filter(robot__platform="wecom")
    assert (message.sent_at, message.attempts) == (None, 1)
    assert flush_outbox() == 0  # queued a moment ago: left to its task
    later = timezone.now() + timedelta(seconds=settings.NEWMEDIA_OUTBOX_REQUEUE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert flush_outbox() == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    [text] = robot_server.texts("wecom")
    assert "补充职务" in text


def test_the_key_is_never_logged_nor_kept_in_an_error(robots, robot_server, caplog):
    wecom, dingtalk = robots
    messages = [_message(wecom), _message(dingtalk)]
    robot_server.stop()  # nobody answers
    with caplog.at_level(logging.DEBUG):
        for message in messages:
            with pytest.raises(RobotFailed):
                robot_message_send(message_id=message.pk)
    kept = [r.getMessage() for r in caplog.records]
    kept += list(RobotMessage.objects.values_list("error", flat=True))
    kept += list(Robot.objects.values_list("last_error", flat=True))
    for secret in (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET):
        assert not any(secret in line for line in kept)
    assert all(
        "ConnectionRefusedError" in e for e in Robot.objects.values_list("last_error", flat=True)
    )


@pytest.mark.parametrize(
    ("platform", "url"),
    [
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),  # not https
        ("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=k"),
        ("wecom", "https://127.0.0.1/cgi-bin/webhook/send?key=k"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/other?key=k"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),  # no key
        ("dingtalk", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),  # other platform
        ("dingtalk", "https://user@oapi.dingtalk.com/robot/send?access_token=t"),
        ("dingtalk", "http://169.254.169.254/robot/send?access_token=t"),
    ],
)
def test_an_address_off_the_platforms_hosts_is_refused_when_saved(db, platform, url):
    form = RobotAdminForm(data={"name": "群", "platform": platform, "webhook_url": url})
    assert not form.is_valid()
    assert "只接受平台自己的 Webhook 地址" in form.errors["webhook_url"][0]


def test_the_platforms_own_addresses_are_accepted(db):
    for platform, url in [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc"),
    ]:
        form = RobotAdminForm(
            data={"name": "群", "platform": platform, "webhook_url": url, "is_active": "on"}
        )
        assert form.is_valid(), form.errors


def test_the_admin_never_shows_the_key_or_the_secret_back(robots, admin_client, robot_server):
    _wecom, dingtalk = robots
    page = admin_client.get(reverse("admin:robots_robot_change", args=[dingtalk.pk]))
    html = page.content.decode()
    assert DINGTALK_TOKEN not in html and DINGTALK_SECRET not in html
    assert f"access_token={DINGTALK_TOKEN[:4]}…" in html
    # Saved with both fields empty: both kept.
    page = admin_client.post(
        reverse("admin:robots_robot_change", args=[dingtalk.pk]),
        {
            "name": "审核员群（新）",
            "platform": "dingtalk",
            "webhook_url": "",
            "secret": "",
            "is_active": "on",
        },
    )
    assert page.status_code == 302
    dingtalk.refresh_from_db()
    assert dingtalk.name == "审核员群（新）"
    assert (dingtalk.webhook_url, dingtalk.secret) == (robot_server.dingtalk_url, DINGTALK_SECRET)


def test_the_admins_test_message_reaches_the_chosen_robot_only(
    robots, admin_client, robot_server, django_capture_on_commit_callbacks
):
    wecom, _dingtalk = robots
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            reverse("admin:robots_robot_changelist"),
            {"action": "send_test", "_selected_action": [wecom.pk]},
        )
    assert page.status_code == 302
    [text] = robot_server.texts("wecom")
    assert text.startswith("### 新媒体登记系统测试消息")
    assert robot_server.texts("dingtalk") == []


def test_the_command_centre_shows_a_failing_robot_and_what_waits_for_it(
    robots, robot_server, client_for, reviewer, filer
):
    wecom, _dingtalk = robots
    robot_server.answers.append(("http", 500))
    message = _message(wecom)
    with pytest.raises(RobotFailed):
        robot_message_send(message_id=message.pk)
    page = client_for(reviewer).get(reverse("approvals:command_centre"))
    html = page.content.decode()
    assert "群机器人发送失败" in html
    assert "学院群" in html and "1 条消息等待重试" in html and "平台返回 HTTP 500" in html
    assert client_for(filer).get(reverse("approvals:command_centre")).status_code == 403
    assert robot_message_send(message_id=message.pk) is True
    html = client_for(reviewer).get(reverse("approvals:command_centre")).content.decode()
    assert "群机器人发送失败" not in html
