import datetime

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import Campaign, DepartmentReturn, Filing, Notification, ReturnState
from approvals.models.campaign import ACCOUNTS_OPEN
from approvals.services.steps import step_take
from approvals.tests.factories import CampaignFactory, filing_in, return_in

URL = reverse("approvals:dashboard")
READ_URL = reverse("approvals:notifications_read")


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_counts_only_the_filers_own_accounts(client_for, filer, department, other_department):
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.SUBMITTED, department=department)
    filing_in(Filing.State.SUBMITTED, department=other_department)
    counts = dict((s, n) for s, _label, n in client_for(filer).get(URL).context["counts"])
    assert counts["draft"] == 1
    assert counts["submitted"] == 1


def test_it_shows_a_filer_what_was_returned_and_why(client_for, filer, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, name="会计学院新生群")
    services.step_take(filing, "return_for_revision", by=reviewer, comment="请补充成员人数")
    response = client_for(filer).get(URL)
    [returned] = response.context["filer_todo"]["returned"]
    assert returned.return_comment == "请补充成员人数"
    assert "请补充成员人数" in response.content.decode()


def test_it_shows_the_outsider_nothing_of_another_department(client_for, outsider, department):
    filing_in(Filing.State.RETURNED, department=department, name="别人的群")
    response = client_for(outsider).get(URL)
    assert "别人的群" not in response.content.decode()
    assert response.context["reviewer_todo"] is None


def test_it_shows_a_reviewer_the_queue_and_reported_closures(client_for, reviewer, department):
    filing_in(Filing.State.SUBMITTED, department=department, name="待审核的群")
    closing = filing_in(Filing.State.CLOSING, department=department, name="待确认的群")
    Filing.objects.filter(pk=closing.pk).update(
        closure_reported_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    response = client_for(reviewer).get(URL)
    todo = response.context["reviewer_todo"]
    assert [a.name for a in todo["submitted"]] == ["待审核的群"]
    assert [a.name for a in todo["to_confirm"]] == ["待确认的群"]
    assert response.context["filer_todo"] is None


@pytest.mark.parametrize(("days", "phrase"), [(10, "10"), (0, "今天"), (-2, "已过")])
def test_it_counts_down_to_the_active_campaigns_deadline(client_for, reviewer, days, phrase):
    today = datetime.date.today()
    Campaign.objects.create(
        title="清理整治专项行动",
        starts_on=today - datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=days),
        is_active=True,
    )
    body = client_for(reviewer).get(URL).content.decode()
    assert "清理整治专项行动" in body
    assert phrase in body


# Notifications.


def _notify(user, subject):
    return Notification.objects.create(recipient=user, subject=subject, body=f"{subject}。正文")


def test_it_shows_the_users_unread_notifications(client_for, filer, outsider):
    _notify(filer, "会计学院教职工群已退回")
    _notify(outsider, "别人的通知")
    read = _notify(filer, "早已读过的通知")
    Notification.objects.filter(pk=read.pk).update(read_at=datetime.datetime.now(datetime.UTC))
    body = client_for(filer).get(URL).content.decode()
    assert "会计学院教职工群已退回" in body
    assert "别人的通知" not in body and "早已读过的通知" not in body


def test_it_marks_the_shown_notifications_read(client_for, filer):
    shown = _notify(filer, "已显示的通知")
    client = client_for(filer)
    client.get(URL)
    arrived_later = _notify(filer, "之后到达的通知")
    response = client.post(READ_URL, {"notification": [shown.pk]})
    assert response.status_code == 302
    assert Notification.objects.get(pk=shown.pk).read_at is not None
    # One that came after the page was drawn was never seen: it stays unread.
    assert Notification.objects.get(pk=arrived_later.pk).read_at is None
    assert "已显示的通知" not in client.get(URL).content.decode()


def test_it_marks_nothing_of_someone_elses(client_for, filer, outsider):
    theirs = _notify(outsider, "别人的通知")
    client_for(filer).post(READ_URL, {"notification": [theirs.pk]})
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_it_marks_read_only_on_a_post_with_the_token(client_for, filer):
    shown = _notify(filer, "通知")
    client = client_for(filer)
    assert client.get(READ_URL).status_code == 405
    assert client.post_without_token(READ_URL, {"notification": [shown.pk]}).status_code == 403
    assert Notification.objects.get(pk=shown.pk).read_at is None


# The filer's department return.


@pytest.fixture
def campaign(db):
    return CampaignFactory()


def test_it_shows_a_filer_a_not_started_return_without_writing_one(
    client_for, filer, department, campaign
):
    filing_in(Filing.State.DRAFT, department=department)
    response = client_for(filer).get(URL)
    [card] = response.context["return_cards"]
    assert (card.department, card.state, card.return_id) == (
        department,
        ReturnState.NOT_STARTED,
        None,
    )
    assert card.missing == [ACCOUNTS_OPEN % {"count": 1}]  # the scan comes after the hand-in
    body = response.content.decode()
    assert reverse("approvals:return_open", args=[department.pk]) in body
    assert not DepartmentReturn.objects.exists()


def test_it_links_a_filer_to_the_return_and_says_why_it_was_sent_back(
    client_for, filer, reviewer, department, campaign
):
    department_return = return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
    step_take(department_return, "send_back", by=reviewer, comment="缺公章")
    response = client_for(filer).get(URL)
    [card] = response.context["return_cards"]
    assert (card.state, card.send_back_reason, card.missing) == (ReturnState.RETURNED, "缺公章", [])
    body = response.content.decode()
    assert department_return.get_absolute_url() in body
    assert "缺公章" in body


def test_it_shows_the_outsider_only_their_own_departments_return(
    client_for, outsider, department, other_department, campaign
):
    return_in(ReturnState.HANDED_IN, campaign=campaign, department=department)
    [card] = client_for(outsider).get(URL).context["return_cards"]
    assert card.department == other_department
    assert card.state == ReturnState.NOT_STARTED


def test_it_shows_no_return_card_to_a_reviewer_or_without_a_campaign(client_for, reviewer, filer):
    assert client_for(reviewer).get(URL).context["return_cards"] is None
    assert client_for(filer).get(URL).context["return_cards"] is None


# The filer's checklist and the reminders received.


def test_it_lists_what_the_department_must_still_do_with_links(
    client_for, filer, reviewer, department, campaign
):
    from cleanup.models import Finding, MemberMatch, Roster, RosterMember, Severity
    from registry.tests.factories import AccountFactory

    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.RETURNED, department=department)
    group = AccountFactory(department=department)
    Finding.objects.create(account=group, rule="forbidden_name", severity=Severity.BLOCKING)
    roster = Roster.objects.create(account=group)
    for row, match in enumerate(
        [MemberMatch.NOT_STAFF, MemberMatch.NOT_STAFF, MemberMatch.OWN_DEPARTMENT]
    ):
        RosterMember.objects.create(
            roster=roster,
            row=row,
            match=match,
            staff=None if match == MemberMatch.NOT_STAFF else _staff(department),
        )
    response = client_for(filer).get(URL)
    [card] = response.context["return_cards"]
    assert (card.draft_accounts, card.returned_accounts) == (2, 1)
    assert (card.blocking_findings, card.members_to_remove) == (1, 2)
    body = response.content.decode()
    account_list = reverse("approvals:account_list")
    findings = reverse("cleanup:finding_list")
    assert f"{account_list}?department={department.pk}&amp;state=draft" in body
    assert f"{account_list}?department={department.pk}&amp;state=returned" in body
    assert f"{findings}?department={department.pk}&amp;severity=blocking" in body
    assert f"{findings}?department={department.pk}&amp;notice_rule=R5" in body


def _staff(department):
    from registry.tests.factories import StaffFactory

    return StaffFactory(department=department)


def test_it_shows_a_filer_the_reminders_received(client_for, filer, reviewer, department, campaign):
    from approvals.services import centre as centre_services

    _notify(filer, "不是提醒的消息")
    [reminder] = centre_services.department_remind(department=department, by=reviewer)
    Notification.objects.filter(pk=reminder.pk).update(read_at=datetime.datetime.now(datetime.UTC))
    response = client_for(filer).get(URL)
    assert [n.pk for n in response.context["reminders"]] == [reminder.pk]
    assert reminder.subject in response.content.decode()


def test_it_shows_the_outsider_none_of_another_departments_reminders(
    client_for, filer, outsider, reviewer, department, campaign
):
    from approvals.services import centre as centre_services

    centre_services.department_remind(department=department, by=reviewer)
    assert client_for(outsider).get(URL).context["reminders"] == []
    assert client_for(reviewer).get(URL).context["reminders"] is None
