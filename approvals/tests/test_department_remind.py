"""The one-click reminder from the command centre: reviewers only, POST with CSRF, once a day
per filer however often it is clicked, audited, sent through the outbox."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from approvals.models import Filing, ManualReminderLog, Notification, ReturnState
from approvals.services import centre as centre_services
from approvals.tests.factories import CampaignFactory, filing_in, return_in
from audit.models import AuditEvent
from registry.tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def campaign(db):
    return CampaignFactory(deadline=timezone.localdate() + timedelta(days=5))


URL = reverse("approvals:department_remind")


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """Click a department's reminder button as a browser would, running what the request queued
    on commit (the email task)."""

    def run(client, department, data=None):
        pk = department if isinstance(department, str) else department.pk
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, {"department": pk, **(data or {})})

    return run


def test_it_rejects_get(client_for, reviewer, campaign, department):
    assert client_for(reviewer).get(URL, {"department": department.pk}).status_code == 405


def test_it_requires_the_csrf_token(client_for, reviewer, campaign, department, filer):
    client = client_for(reviewer)
    client.get(reverse("approvals:command_centre"))
    assert client.post_without_token(URL, {"department": department.pk}).status_code == 403
    assert not ManualReminderLog.objects.exists()


@pytest.mark.parametrize("pk", ["", "x", "1.5", "999999"])
def test_it_answers_404_for_no_such_department(client_for, reviewer, campaign, filer, post, pk):
    assert post(client_for(reviewer), pk).status_code == 404
    assert not ManualReminderLog.objects.exists()


def test_it_refuses_filers_and_outsiders(client_for, filer, outsider, campaign, department, post):
    assert post(client_for(filer), department).status_code == 403
    assert post(client_for(outsider), department).status_code == 403
    assert not ManualReminderLog.objects.exists()
    assert not mail.outbox


def test_it_sends_once_on_a_double_click(client_for, reviewer, filer, campaign, department, post):
    filer.email = "filer@example.edu.cn"
    filer.save()
    client = client_for(reviewer)
    first = post(client, department)
    second = post(client, department)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == reverse("approvals:command_centre")
    assert ManualReminderLog.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["filer@example.edu.cn"]
    messages = [str(m) for m in second.wsgi_request._messages]
    assert any("今天已" in m or "already" in m for m in messages)


def test_it_sends_once_a_day_per_filer_through_the_service(
    reviewer, second_reviewer, filer, campaign, department
):
    second_filer = UserFactory(username="filer2")
    department.filers.add(second_filer)
    first = centre_services.department_remind(department=department, by=reviewer)
    again = centre_services.department_remind(department=department, by=second_reviewer)
    assert len(first) == 2
    assert again == []
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert (
        len(centre_services.department_remind(department=department, by=reviewer, today=tomorrow))
        == 2
    )


def test_it_writes_an_audit_row_and_the_log(
    client_for, reviewer, filer, campaign, department, post
):
    post(client_for(reviewer), department)
    [log] = ManualReminderLog.objects.all()
    assert (log.campaign, log.department, log.recipient, log.sent_by) == (
        campaign,
        department,
        filer,
        reviewer,
    )
    assert log.day == timezone.localdate()
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.REMINDER_SENT)
    assert event.user == reviewer
    assert event.object_id == str(department.pk)
    assert filer.username in event.detail


@pytest.fixture
def emailed(client_for, reviewer, filer, department, post):
    """The reviewer reminds the department, whose filer has an address and a draft; the email."""

    def remind():
        filer.email = "filer@example.edu.cn"
        filer.save()
        filing_in(Filing.State.DRAFT, department=department)
        post(client_for(reviewer), department)
        [email] = mail.outbox
        return email

    return remind


def test_it_says_what_is_missing_in_the_email(filer, campaign, department, emailed, settings):
    settings.NEWMEDIA_SITE_URL = "https://newmedia.example.edu.cn"
    email = emailed()
    assert department.name in email.subject
    assert "5" in email.subject  # days left
    assert campaign.title in email.body
    assert "1" in email.body and "https://newmedia.example.edu.cn/" in email.body
    [notification] = Notification.objects.filter(recipient=filer)
    assert notification.email_sent_at is not None  # sent through the outbox, and marked


def test_it_says_the_deadline_has_passed(
    reviewer, filer, department, django_capture_on_commit_callbacks
):
    CampaignFactory(starts_on=date(2026, 1, 1), deadline=timezone.localdate() - timedelta(days=2))
    [notification] = centre_services.department_remind(department=department, by=reviewer)
    assert "逾期" in notification.subject or "overdue" in notification.subject


def test_it_refuses_a_department_that_owes_nothing(
    client_for, reviewer, filer, campaign, department, post
):
    return_in(ReturnState.ACCEPTED, campaign=campaign, department=department)
    response = post(client_for(reviewer), department)
    assert response.status_code == 302
    assert not ManualReminderLog.objects.exists()


def test_it_refuses_without_an_active_campaign(client_for, reviewer, filer, department, post):
    post(client_for(reviewer), department)
    assert not ManualReminderLog.objects.exists()


def test_it_returns_to_the_centre_as_the_reviewer_left_it(
    client_for, reviewer, filer, campaign, department, post
):
    back = reverse("approvals:command_centre") + "?sort=-open&page=2"
    response = post(client_for(reviewer), department, {"next": back})
    assert response["Location"] == back
    response = post(client_for(reviewer), department, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("approvals:command_centre")


REMIND_ALL = reverse("approvals:departments_remind_all")


def test_remind_all_reminds_every_late_department_once_a_day(
    client_for,
    reviewer,
    campaign,
    department,
    other_department,
    filer,
    outsider,
    django_capture_on_commit_callbacks,
):
    """提醒所有逾期单位: each late department once; clicked again the same day, nothing again,
    and the message counts both."""
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.DRAFT, department=other_department)
    finished = DepartmentFactory(code="DONE")
    finished.filers.add(UserFactory(username="done_filer"))
    return_in(ReturnState.ACCEPTED, campaign=campaign, department=finished)
    client = client_for(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(REMIND_ALL, {}, follow=True)
    assert "已提醒 2 个单位；0 个单位今天已提醒过" in first.content.decode()
    assert set(ManualReminderLog.objects.values_list("department__code", flat=True)) == {
        department.code,
        other_department.code,
    }
    assert set(Notification.objects.values_list("recipient", flat=True)) == {filer.pk, outsider.pk}
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(REMIND_ALL, {}, follow=True)
    assert "已提醒 0 个单位；2 个单位今天已提醒过" in second.content.decode()
    assert ManualReminderLog.objects.count() == Notification.objects.count() == 2


def test_remind_all_is_for_reviewers_only(client_for, filer, campaign, department):
    filing_in(Filing.State.DRAFT, department=department)
    assert client_for(filer).post(REMIND_ALL, {}).status_code == 403
    assert not ManualReminderLog.objects.exists()
    assert client_for(filer).get(REMIND_ALL).status_code == 405


def test_unset_the_links_point_where_the_site_is_served_and_the_page_shows_none(
    client_for, filer, campaign, emailed, settings
):
    settings.NEWMEDIA_SITE_URL = ""
    email = emailed()
    assert "http://testserver/" in email.body  # the test client's address, not a default
    # The filer's dashboard links to the page itself and shows no web address.
    [notification] = Notification.objects.filter(recipient=filer)
    page = client_for(filer).get(reverse("approvals:dashboard")).content.decode()
    assert f'href="{notification.path}"' in page and notification.path.startswith("/")
    assert "http://" not in notification.text_on_site
    assert "testserver" not in page
