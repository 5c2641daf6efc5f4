"""The daily sweep on the embedded default: who is reminded when, with what, and only once."""

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from approvals.models import (
    Campaign,
    DepartmentReturn,
    Filing,
    Notification,
    OverdueDigestLog,
    ReminderLog,
)
from approvals.services.notifications import outbox_flush
from approvals.services.reminders import milestone_due, reminders_sweep
from approvals.tasks import MAIL_ERRORS, send_notification_email
from approvals.tests.factories import filing_in
from newmedia.dbretry import DATABASE_ERRORS
from registry.roles import FILER_GROUP
from registry.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

DEADLINE = date(2027, 6, 8)  # a Tuesday


@pytest.fixture
def campaign():
    return Campaign.objects.create(
        title="2027年清理整治专项行动",
        document_number="赣府厅明〔2020〕46号",
        starts_on=date(2027, 5, 1),
        deadline=DEADLINE,
        office_email="office@example.edu.cn",
        is_active=True,
    )


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep and what it queues on commit, as a committed transaction would."""

    def run(day, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_sweep(today=day, **kwargs)

    return run


@pytest.fixture
def command(django_capture_on_commit_callbacks):
    def run(*args):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", *args, stdout=out)
        return out.getvalue()

    return run


def _filer(department, username, **kwargs):
    user = UserFactory(username=username, email=f"{username}@example.edu.cn", **kwargs)
    user.groups.add(Group.objects.get(name=FILER_GROUP))
    department.filers.add(user)
    return user


def _handed_in(campaign, department):
    """A return handed in, written straight to the table: the state is what matters here."""
    return DepartmentReturn.objects.create(
        campaign=campaign,
        department=department,
        **{"state": "handed_in"},
        scan="returns/x.pdf",
        handed_in_at=timezone.now(),
    )


@pytest.mark.parametrize(
    ("today", "milestone"),
    [
        (date(2027, 4, 30), None),  # before the campaign starts
        (date(2027, 5, 31), None),  # eight days before: no milestone yet
        (date(2027, 6, 1), 7),
        (date(2027, 6, 2), 7),  # a missed day is caught up (the log keeps it to one)
        (date(2027, 6, 3), 7),  # Thursday: the 3-day milestone falls on Saturday, not yet
        (date(2027, 6, 4), 3),  # Friday covers the weekend's milestone
        (date(2027, 6, 7), 1),
        (date(2027, 6, 8), 0),  # the day itself
        (date(2027, 6, 9), None),  # past the deadline: the digest's turn
    ],
)
def test_it_picks_the_milestone_due(campaign, today, milestone):
    assert milestone_due(campaign=campaign, today=today) == milestone


def test_it_sends_a_weekend_deadlines_reminders_on_the_friday(campaign):
    campaign.deadline = date(2025, 6, 8)  # a Sunday, as in the notice's own year
    campaign.starts_on = date(2025, 5, 1)
    assert milestone_due(campaign=campaign, today=date(2025, 6, 5)) == 3  # Thursday
    assert milestone_due(campaign=campaign, today=date(2025, 6, 6)) == 0  # Friday: Sat and Sun


def test_it_reminds_each_late_departments_filers_once_per_milestone(campaign, sweep):
    late, done, empty = DepartmentFactory(name="会计学院"), DepartmentFactory(), DepartmentFactory()
    late_filer, done_filer, empty_filer = (
        _filer(late, "kj"),
        _filer(done, "xc"),
        _filer(empty, "nc"),
    )
    filing_in(Filing.State.DRAFT, department=late)
    filing_in(Filing.State.REGISTERED, department=done)
    _handed_in(campaign, done)

    result = sweep(date(2027, 6, 1))

    reminded = {(log.department, log.recipient) for log in ReminderLog.objects.all()}
    assert reminded == {(late, late_filer), (empty, empty_filer)}  # no account is not done
    assert sorted(m.to[0] for m in mail.outbox) == sorted([empty_filer.email, late_filer.email])
    assert result.milestone == 7
    assert not Notification.objects.filter(recipient=done_filer).exists()

    for again in (date(2027, 6, 1), date(2027, 6, 2), date(2027, 6, 3)):
        sweep(again)
    assert ReminderLog.objects.count() == 2
    assert len(mail.outbox) == 2


def test_it_writes_the_days_left_what_is_missing_and_a_link(campaign, settings, sweep):
    settings.NEWMEDIA_SITE_URL = "https://newmedia.example.edu.cn"
    department = DepartmentFactory(name="会计学院")
    filer = _filer(department, "kj")
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.RETURNED, department=department)

    sweep(date(2027, 6, 4))

    [message] = mail.outbox
    assert message.to == [filer.email]
    assert "会计学院" in message.subject and "4" in message.subject
    assert "2 个账号是草稿或已退回" in message.body
    assert "尚未报送盖章登记表" in message.body
    assert "https://newmedia.example.edu.cn/" in message.body
    html = message.alternatives[0][0]
    assert "会计学院" in html and "<li>" in html
    notification = Notification.objects.get(recipient=filer)
    assert (notification.subject, notification.read_at) == (message.subject, None)
    assert notification.email_sent_at is not None


def test_it_says_the_deadline_is_today_on_the_day(campaign, sweep):
    department = DepartmentFactory(name="会计学院")
    _filer(department, "kj")
    sweep(DEADLINE)
    assert "今天" in mail.outbox[0].subject


def test_it_stops_reminding_a_department_that_hands_in_between_milestones(campaign, sweep):
    department = DepartmentFactory()
    _filer(department, "kj")
    sweep(date(2027, 6, 1))
    _handed_in(campaign, department)
    sweep(date(2027, 6, 4))
    assert list(ReminderLog.objects.values_list("milestone", flat=True)) == [7]


def test_it_reminds_again_at_the_next_milestone(campaign, sweep):
    department = DepartmentFactory()
    _filer(department, "kj")
    for day in (date(2027, 6, 1), date(2027, 6, 4), date(2027, 6, 7), DEADLINE):
        sweep(day)
    assert sorted(ReminderLog.objects.values_list("milestone", flat=True)) == [0, 1, 3, 7]
    assert len(mail.outbox) == 4


def test_it_skips_inactive_filers_and_tells_those_without_email_in_the_app(campaign, sweep):
    department = DepartmentFactory()
    _filer(department, "gone", is_active=False)
    quiet = _filer(department, "quiet")
    quiet.email = ""
    quiet.save()
    sweep(date(2027, 6, 1))
    assert list(ReminderLog.objects.values_list("recipient__username", flat=True)) == ["quiet"]
    assert Notification.objects.get(recipient=quiet).email_to == ""
    assert mail.outbox == []


def test_it_rests_at_weekends_unless_told_otherwise(campaign, settings, sweep):
    department = DepartmentFactory()
    _filer(department, "kj")
    saturday = date(2027, 6, 5)
    assert sweep(saturday).note == "今天不是工作日"
    assert not ReminderLog.objects.exists()
    settings.NEWMEDIA_REMIND_ON_WEEKENDS = True
    assert sweep(saturday).milestone == 3
    assert ReminderLog.objects.count() == 1


def test_it_sends_the_reviewers_one_overdue_digest_a_day(
    campaign, reviewer, second_reviewer, sweep
):
    reviewer.email, second_reviewer.email = "r1@example.edu.cn", "r2@example.edu.cn"
    reviewer.save()
    second_reviewer.save()
    late, done = DepartmentFactory(name="会计学院"), DepartmentFactory(name="宣传统战处")
    _filer(late, "kj")
    _handed_in(campaign, done)

    for _run in range(2):
        result = sweep(date(2027, 6, 9))
    sweep(date(2027, 6, 10))

    assert result.late == ["会计学院"]
    assert OverdueDigestLog.objects.count() == 4  # two reviewers, two days
    assert not ReminderLog.objects.exists()  # departments get no milestone reminder any more
    digests = [m for m in mail.outbox if m.to == ["r1@example.edu.cn"]]
    assert len(digests) == 2
    assert "会计学院" in digests[0].body and "宣传统战处" not in digests[0].body


def test_it_sends_no_digest_when_nobody_is_late(campaign, reviewer, sweep):
    department = DepartmentFactory()
    _handed_in(campaign, department)
    assert "没有逾期单位" in sweep(date(2027, 6, 9)).note
    assert mail.outbox == []


def test_it_does_nothing_without_an_active_campaign(sweep):
    DepartmentFactory()
    assert sweep(DEADLINE).note == "没有进行中的专项行动"


def test_a_dry_run_lists_what_it_would_send_and_writes_nothing(campaign, sweep):
    department = DepartmentFactory(name="会计学院")
    _filer(department, "kj")
    result = sweep(date(2027, 6, 1), dry_run=True)
    assert result.reminders == [("会计学院", "kj", 7)]
    assert not ReminderLog.objects.exists() and not Notification.objects.exists()
    assert mail.outbox == []


def test_a_rerun_after_a_crash_sends_exactly_what_is_still_owed(
    campaign, django_capture_on_commit_callbacks
):
    """The first sweep committed its reminders but died before any email left."""
    for code in ("a", "b", "c"):
        _filer(DepartmentFactory(), code)
    with django_capture_on_commit_callbacks(execute=False):
        reminders_sweep(today=date(2027, 6, 1))
    assert mail.outbox == []
    assert ReminderLog.objects.count() == 3

    # The next sweep within the hour leaves them alone (their emails count as queued), the
    # hourly one after NEWMEDIA_OUTBOX_REQUEUE_SECONDS queues them again.
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_sweep(today=date(2027, 6, 1)).queued == 0
    for _run in range(2):
        with time_machine.travel(_later(hours=1)), django_capture_on_commit_callbacks(execute=True):
            reminders_sweep(today=date(2027, 6, 1))
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.edu.cn",
        "b@example.edu.cn",
        "c@example.edu.cn",
    ]
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()


def _later(**delta):
    return timezone.now() + timedelta(**delta)


def test_a_second_sweep_does_not_queue_again_what_the_first_just_queued(
    campaign, django_capture_on_commit_callbacks
):
    """Item 10 of issue 14: every sweep (and the command's flush) queued every unsent email."""
    for code in ("a", "b", "c"):
        _filer(DepartmentFactory(), code)
    with django_capture_on_commit_callbacks(execute=False) as first:
        reminders_sweep(today=date(2027, 6, 1))  # committed, still publishing
    with django_capture_on_commit_callbacks(execute=False) as second:
        assert reminders_sweep(today=date(2027, 6, 1)).queued == 0
    assert second == []  # nothing to publish
    assert outbox_flush() == 0
    for callback in first:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.edu.cn",
        "b@example.edu.cn",
        "c@example.edu.cn",
    ]


def test_the_hourly_beat_repeats_the_sweep_through_the_working_day(settings):
    """Item 11 of issue 14: a sweep lost with its worker waited for the next day."""
    [entry] = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "approvals.tasks.sweep_reminders"
    ]
    # At NEWMEDIA_REMINDER_TIME (09:00), then every hour until 17:00: a run lost during the
    # working day is redone within the hour.
    assert entry["schedule"].hour == set(range(9, 18)) and entry["schedule"].minute == {0}


def test_a_refusing_mail_server_leaves_the_reminder_unsent_and_retried(campaign, settings, sweep):
    settings.EMAIL_BACKEND = "approvals.tests.mailers.RefusingBackend"
    department = DepartmentFactory()
    _filer(department, "kj")
    sweep(date(2027, 6, 1))  # the refusal does not reach the sweep: the email stays owed
    notification = Notification.objects.get()
    assert notification.email_sent_at is None
    assert notification.email_attempts >= 1 and "refused" in notification.email_error
    # The task retries with growing waits, all shorter than Redis' visibility timeout.
    assert send_notification_email.autoretry_for == MAIL_ERRORS + DATABASE_ERRORS
    assert send_notification_email.retry_backoff and send_notification_email.max_retries
    assert (
        send_notification_email.retry_backoff_max
        < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(_later(hours=1)):
        sweep(date(2027, 6, 1))  # the next hour's sweep queues it again
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_sent_at is not None


def test_the_command_prints_what_it_sends(campaign, command):
    department = DepartmentFactory(name="会计学院")
    _filer(department, "kj")
    assert "将发送提醒：会计学院 → kj（剩 7 天）" in command("--date", "2027-06-01", "--dry-run")
    assert not ReminderLog.objects.exists()
    command("--date", "2027-06-01")
    assert ReminderLog.objects.count() == 1 and len(mail.outbox) == 1


def test_the_command_refuses_a_bad_date(campaign):
    with pytest.raises(CommandError, match="2027-13-01"):
        call_command("send_reminders", "--date", "2027-13-01", stdout=StringIO())
