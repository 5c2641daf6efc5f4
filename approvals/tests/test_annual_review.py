"""年审: an annual-review campaign asks each department to confirm every account it keeps. Each
confirmation is answered by confirming it, by a change request or by a closure request; the
reminders and the command centre count what is unanswered, and after the deadline it becomes a
finding."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import AnnualConfirmation, Campaign, Filing, ReminderLog
from approvals.services.annual import confirmations_open
from approvals.services.reminders import reminders_sweep
from approvals.tests.factories import account_form_data, filing_in
from approvals.tests.test_field_history import _as_posted
from approvals.tests.test_reminders import _filer
from audit.models import AuditEvent
from cleanup import services as cleanup_services
from cleanup.models import Finding
from registry.models import Account
from registry.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

DEADLINE = date(2027, 12, 21)  # a Tuesday
PENDING, CONFIRMED = AnnualConfirmation.State.PENDING, AnnualConfirmation.State.CONFIRMED


def _review(**fields) -> Campaign:
    return Campaign.objects.create(
        kind=Campaign.Kind.ANNUAL_REVIEW,
        title="2027年度新媒体账号年审",
        starts_on=date(2027, 12, 1),
        deadline=DEADLINE,
        is_active=True,
        **fields,
    )


@pytest.fixture
def kept(department):
    """The department's accounts: two kept (registered, approved), one draft, one closing."""
    return {
        "registered": filing_in(Filing.State.REGISTERED, department=department, name="教职工群"),
        "approved": filing_in(Filing.State.APPROVED, department=department, name="公众号"),
        "draft": filing_in(Filing.State.DRAFT, department=department, name="草稿群"),
        "closing": filing_in(Filing.State.CLOSING, department=department, name="关停中群"),
    }


def _states() -> dict[str, str]:
    return dict(AnnualConfirmation.objects.values_list("account__name", "state"))


def test_saving_an_active_annual_review_asks_about_every_kept_account_once(
    client_for, reviewer, kept
):
    reviewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_campaign", "change_campaign"])
    )
    data = {
        "kind": "annual_review",
        "title": "2027年度新媒体账号年审",
        "starts_on": "2027-12-01",
        "deadline": "2027-12-21",
        "reminder_days": "7, 3, 1, 0",
        "is_active": "on",
    }
    response = client_for(reviewer).post(reverse("approvals:campaign_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert _states() == {"教职工群": PENDING, "公众号": PENDING}
    campaign = Campaign.objects.get()
    assert campaign.is_annual_review
    # Again, and after an account is registered: only the new one is added.
    assert confirmations_open(campaign) == 0
    Filing.objects.filter(pk=kept["draft"].pk).update(state=Filing.State.REGISTERED)
    assert confirmations_open(campaign) == 1
    assert AnnualConfirmation.objects.count() == 3


def test_a_filing_campaign_asks_about_nothing(kept):
    campaign = _review()
    Campaign.objects.filter(pk=campaign.pk).update(kind=Campaign.Kind.FILING)
    campaign.refresh_from_db()
    assert confirmations_open(campaign) == 0


def test_the_filer_confirms_on_the_account_page_and_it_is_recorded(client_for, filer, kept):
    confirmations_open(_review())
    account = kept["registered"].account
    client = client_for(filer)
    page = client.get(account.get_absolute_url()).content.decode()
    assert "年审“2027年度新媒体账号年审”" in page and "仍在使用，信息无误" in page
    assert 'id="confirmation-title"' in page
    confirmation = AnnualConfirmation.objects.get(account=account)
    url = reverse("approvals:confirmation_transition", args=[confirmation.pk, "confirm_in_use"])
    assert client.get(url).status_code == 405  # a step is never taken by opening a link
    confirmation.refresh_from_db()
    assert confirmation.state == PENDING
    response = client.post(url, {"expected_state": "pending"})
    assert response.status_code == 302
    confirmation.refresh_from_db()
    assert (confirmation.state, confirmation.answered_by) == (CONFIRMED, filer)
    assert confirmation.state_changed_at is not None
    event = AuditEvent.objects.filter(action=AuditEvent.Action.TRANSITION).latest("pk")
    assert event.detail == "confirm_in_use: pending → confirmed"
    # Answered, the page no longer asks.
    assert "confirmation-title" not in client.get(account.get_absolute_url()).content.decode()


def test_only_the_departments_filers_confirm(client_for, reviewer, outsider, kept):
    confirmations_open(_review())
    confirmation = AnnualConfirmation.objects.get(account=kept["registered"].account)
    url = reverse("approvals:confirmation_transition", args=[confirmation.pk, "confirm_in_use"])
    assert client_for(outsider).post(url, {}).status_code == 404
    client_for(reviewer).post(url, {})
    confirmation.refresh_from_db()
    assert confirmation.state == PENDING


def test_a_change_request_and_a_closure_request_answer_the_review(
    client_for, filer, department, kept
):
    confirmations_open(_review())
    registered = kept["registered"]
    Account.objects.filter(pk=registered.account_id).update(
        **{k: v for k, v in _as_posted(department).items() if k != "name"}
    )
    account = Account.objects.get(pk=registered.account_id)
    data = account_form_data(department, name=account.name, version=str(account.version))
    data.update(owner_name="王芳", change_reason="负责人调离")
    client = client_for(filer)
    response = client.post(reverse("approvals:change_request", args=[account.pk]), data)
    assert response.status_code == 302
    services.step_take(
        kept["approved"],
        "request_closure",
        by=filer,
        comment="不再使用",
        kind=Account.Disposition.DEREGISTER,
        reason="不再使用",
    )
    assert _states() == {
        "教职工群": AnnualConfirmation.State.CHANGE,
        "公众号": AnnualConfirmation.State.CLOSURE,
    }
    shown = {c.account.name: c.get_state_display() for c in AnnualConfirmation.objects.all()}
    assert shown == {"教职工群": "已申请变更", "公众号": "已申请关停"}


def test_the_filer_confirms_several_at_once_on_the_review_page(client_for, filer, kept):
    confirmations_open(_review())
    client = client_for(filer)
    page = client.get(reverse("approvals:annual_review"))
    assert page.context["totals"] == {"pending": 2, "total": 2}
    ids = list(AnnualConfirmation.objects.values_list("pk", flat=True))
    response = client.post(reverse("approvals:annual_review"), {"confirmations": ids})
    assert response.status_code == 302
    assert set(_states().values()) == {CONFIRMED}
    dashboard = client.get(reverse("approvals:dashboard"))
    assert dashboard.context["annual"] == {"pending": 0, "total": 2}


@pytest.mark.parametrize("chosen", [["2" + "0" * 30], ["abc"], []])
def test_a_bad_or_empty_choice_confirms_nothing_and_says_so(client_for, filer, kept, chosen):
    """An id past any database id was a 500 (SQLite's OverflowError in pk__in)."""
    confirmations_open(_review())
    client = client_for(filer)
    response = client.post(
        reverse("approvals:annual_review"), {"confirmations": chosen}, follow=True
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    assert set(_states().values()) == {"pending"}


def test_an_account_answered_meanwhile_is_named_and_the_others_confirmed(client_for, filer, kept):
    confirmations_open(_review())
    first, second = AnnualConfirmation.objects.order_by("pk")
    AnnualConfirmation.objects.filter(pk=first.pk).update(state="change")
    response = client_for(filer).post(
        reverse("approvals:annual_review"), {"confirmations": [first.pk, second.pk]}, follow=True
    )
    said = " ".join(str(m) for m in response.context["messages"])
    assert first.account.name in said
    assert _states()[second.account.name] == CONFIRMED


def test_the_review_page_shows_a_filer_only_their_departments(
    client_for, filer, other_department, kept
):
    filing_in(Filing.State.REGISTERED, department=other_department, name="外单位群")
    confirmations_open(_review())
    page = client_for(filer).get(reverse("approvals:annual_review"))
    assert {c.account.name for c in page.context["page"]} == {"教职工群", "公众号"}


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run(day):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_sweep(today=day)

    return run


def test_the_reminders_ask_for_what_is_unanswered_and_only_of_who_owes(sweep):
    late, done = DepartmentFactory(name="会计学院"), DepartmentFactory(name="宣传统战处")
    late_filer, done_filer = _filer(late, "kj"), _filer(done, "xc")
    filing_in(Filing.State.REGISTERED, department=late, name="会计学院群")
    answered = filing_in(Filing.State.REGISTERED, department=done, name="宣传群")
    campaign = _review()
    sweep(date(2027, 12, 1))  # before any milestone: the sweep opens the confirmations
    AnnualConfirmation.objects.filter(account=answered.account).update(state=CONFIRMED)

    result = sweep(date(2027, 12, 14))

    assert result.milestone == 7
    assert {log.recipient for log in ReminderLog.objects.filter(campaign=campaign)} == {late_filer}
    [message] = mail.outbox
    assert message.to == [late_filer.email]
    assert "年审确认还剩 7 天" in message.subject
    assert "1 个账号尚未在年审中确认" in message.body
    assert "登记表" not in message.body
    assert done_filer.email not in [m.to[0] for m in mail.outbox]


def test_the_command_centre_counts_the_answers(client_for, reviewer, department, kept):
    campaign = _review()
    confirmations_open(campaign)
    AnnualConfirmation.objects.filter(account=kept["approved"].account).update(state=CONFIRMED)
    page = client_for(reviewer).get(reverse("approvals:command_centre")).content.decode()
    assert "年审答复" in page and "待答 1 / 共 2" in page
    assert reverse("approvals:annual_review") in page  # every answer, listed


def test_after_the_deadline_an_unanswered_account_is_a_finding_until_confirmed(
    client_for, filer, kept
):
    today = timezone.localdate()
    campaign = _review()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_on=today - timedelta(days=30), deadline=today - timedelta(days=1)
    )
    confirmations_open(campaign)
    cleanup_services.findings_evaluate()
    late = Finding.objects.open().filter(rule="annual_unconfirmed")
    assert {f.account.name for f in late} == {"教职工群", "公众号"}
    assert "截止日期" in late.first().explanation
    confirmation = AnnualConfirmation.objects.get(account=kept["registered"].account)
    services.step_take(confirmation, "confirm_in_use", by=filer)
    assert {f.account.name for f in Finding.objects.open().filter(rule="annual_unconfirmed")} == {
        "公众号"
    }


def test_an_annual_review_takes_answers_not_a_handed_in_form(client_for, filer, department, kept):
    _review()
    client = client_for(filer)
    response = client.get(reverse("approvals:return_mine", args=[department.pk]))
    assert response["Location"] == reverse("approvals:annual_review")
    assert (
        client.post(reverse("approvals:return_open", args=[department.pk]), {}).status_code == 404
    )
    dashboard = client.get(reverse("approvals:dashboard"))
    assert dashboard.context["return_cards"] is None
