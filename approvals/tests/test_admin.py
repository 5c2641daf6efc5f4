"""The admin fixes data but moves states only through the services, with their checks."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages.storage.fallback import FallbackStorage
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from approvals import services
from approvals.models import DepartmentReturn, Filing, Notification, ReturnState
from approvals.tests.factories import CampaignFactory, account_form_data, filing_in, return_in
from registry import services as registry_services
from registry.models import Account
from registry.tests.factories import UserFactory


def _transition_url(filing, name):
    return reverse("admin:approvals_filing_transition", args=[filing.pk, name])


@pytest.fixture
def clerk(db):
    """Staff who may open and save filings in the admin, but hold no transition permission."""
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="approvals", codename__in=["view_filing", "change_filing"]
        )
    )
    return user


def test_it_registers_through_the_service_with_one_log_row(client_for, admin_user, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    response = client_for(admin_user).post(
        _transition_url(filing, "register"), {"comment": "管理员代为登记"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.state == Filing.State.REGISTERED
    log = StateLog.objects.for_(filing).get()
    assert (log.by, log.description) == (admin_user, "管理员代为登记")


def test_it_refuses_a_user_without_the_transitions_permission(client_for, clerk, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    client = client_for(clerk)
    client.post(_transition_url(filing, "register"), {"comment": "x"})
    # The button on the change page takes the same road.
    client.post(
        reverse("admin:approvals_filing_change", args=[filing.pk]),
        {"_fsm_transition_to": "register"},
    )
    filing.refresh_from_db()
    assert filing.state == Filing.State.SUBMITTED
    assert not StateLog.objects.for_(filing).exists()


def test_it_checks_the_permission_in_the_service_too(rf, clerk, department):
    """Even a caller that skips the admin's own check is refused by the service."""
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    request = rf.post("/")
    request.user = clerk
    request.session = {}
    request._messages = FallbackStorage(request)
    applied = site._registry[Filing]._apply_fsm_transition(
        obj=filing, transition_name="register", request=request, kwargs={"comment": ""}
    )
    assert applied is False
    assert [str(m) for m in request._messages] == [str(services.REVIEWER_ONLY)]
    assert Filing.objects.get(pk=filing.pk).state == Filing.State.SUBMITTED


def test_it_says_why_a_guarded_transition_failed(client_for, admin_user, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, name="财政厅群")
    response = client_for(admin_user).post(
        _transition_url(filing, "register"), {"comment": ""}, follow=True
    )
    assert "财政厅" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).state == Filing.State.SUBMITTED


def test_it_shows_the_state_read_only_with_the_transitions_as_buttons(
    client_for, admin_user, department
):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    response = client_for(admin_user).get(
        reverse("admin:approvals_filing_change", args=[filing.pk])
    )
    assert "state" not in response.context["adminform"].form.fields
    body = response.content.decode()
    assert 'value="register"' in body and 'value="report_closed"' not in body


def test_it_never_deletes(client_for, admin_user, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    client = client_for(admin_user)
    for url in (
        reverse("admin:approvals_filing_delete", args=[filing.pk]),
        reverse("admin:registry_account_delete", args=[filing.account_id]),
        reverse("admin:registry_department_delete", args=[department.pk]),
    ):
        assert client.post(url, {"post": "yes"}).status_code == 403
    assert Account.objects.filter(pk=filing.account_id).exists()


def test_it_opens_a_filing_for_an_account_added_in_the_admin(client_for, admin_user, department):
    data = account_form_data(department, owner="", security_contact="", expected_version="")
    response = client_for(admin_user).post(reverse("admin:registry_account_add"), data)
    assert response.status_code == 302
    assert Account.objects.get().filing.state == Filing.State.DRAFT


def test_it_refuses_an_admin_edit_over_someone_elses_change(client_for, admin_user, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    account = Account.objects.get(pk=filing.account_id)
    account.purpose = "先改的"
    registry_services.account_update(account=account, version=1, by=None, path="site")
    data = account_form_data(
        department, purpose="后改的", owner="", security_contact="", expected_version="1"
    )
    response = client_for(admin_user).post(
        reverse("admin:registry_account_change", args=[account.pk]), data
    )
    assert response.status_code == 200
    assert str(registry_services.STALE_EDIT) in response.content.decode()
    assert Account.objects.get(pk=account.pk).purpose == "先改的"


def test_it_lets_the_admin_fix_a_submitted_accounts_data(client_for, admin_user, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    data = account_form_data(
        department, purpose="更正用途", owner="", security_contact="", expected_version="1"
    )
    client_for(admin_user).post(
        reverse("admin:registry_account_change", args=[filing.account_id]), data
    )
    account = Account.objects.get(pk=filing.account_id)
    assert (account.purpose, account.version, account.filing.state) == ("更正用途", 2, "submitted")


@pytest.mark.parametrize(
    "name",
    [
        "registry_account",
        "approvals_filing",
        "registry_staff",
        "registry_department",
        "approvals_campaign",
        "approvals_departmentreturn",
        "approvals_notification",
        "approvals_reminderlog",
        "approvals_overduedigestlog",
        "approvals_changerequest",
        "approvals_annualconfirmation",
    ],
)
def test_it_lists_every_model_with_search(client_for, admin_user, department, name):
    filing_in(Filing.State.DRAFT, department=department)
    return_in(ReturnState.HANDED_IN, campaign=CampaignFactory(), department=department)
    response = client_for(admin_user).get(reverse(f"admin:{name}_changelist"), {"q": "测试"})
    assert response.status_code == 200


# Department returns.


def _return_transition_url(department_return, name):
    return reverse("admin:approvals_departmentreturn_transition", args=[department_return.pk, name])


@pytest.fixture
def return_clerk(db):
    """Staff who may open and save returns in the admin, but may not accept or send them back."""
    user = UserFactory(username="return_clerk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="approvals",
            codename__in=["view_departmentreturn", "change_departmentreturn"],
        )
    )
    return user


def test_it_sends_a_return_back_through_the_service_with_one_log_row(
    client_for, admin_user, department
):
    department_return = return_in(
        ReturnState.HANDED_IN, campaign=CampaignFactory(), department=department
    )
    response = client_for(admin_user).post(
        _return_transition_url(department_return, "send_back"), {"comment": "缺公章"}
    )
    assert response.status_code == 302
    department_return.refresh_from_db()
    assert department_return.state == ReturnState.RETURNED
    log = StateLog.objects.for_(department_return).get()
    assert (log.by, log.description) == (admin_user, "缺公章")


def test_it_refuses_a_return_step_without_the_permission(client_for, return_clerk, department):
    department_return = return_in(
        ReturnState.HANDED_IN, campaign=CampaignFactory(), department=department
    )
    client = client_for(return_clerk)
    client.post(_return_transition_url(department_return, "accept"), {"comment": "x"})
    client.post(
        reverse("admin:approvals_departmentreturn_change", args=[department_return.pk]),
        {"_fsm_transition_to": "accept"},
    )
    department_return.refresh_from_db()
    assert department_return.state == ReturnState.HANDED_IN
    assert not StateLog.objects.for_(department_return).exists()


def test_it_checks_the_return_permission_in_the_service_too(rf, return_clerk, department):
    department_return = return_in(
        ReturnState.HANDED_IN, campaign=CampaignFactory(), department=department
    )
    request = rf.post("/")
    request.user = return_clerk
    request.session = {}
    request._messages = FallbackStorage(request)
    applied = site._registry[DepartmentReturn]._apply_fsm_transition(
        obj=department_return, transition_name="accept", request=request, kwargs={}
    )
    assert applied is False
    assert [str(m) for m in request._messages] == [str(services.REVIEWER_ONLY)]
    assert DepartmentReturn.objects.get(pk=department_return.pk).state == ReturnState.HANDED_IN


def test_it_shows_the_returns_state_read_only_with_its_decisions_as_buttons(
    client_for, admin_user, department
):
    department_return = return_in(
        ReturnState.HANDED_IN, campaign=CampaignFactory(), department=department
    )
    client = client_for(admin_user)
    url = reverse("admin:approvals_departmentreturn_change", args=[department_return.pk])
    response = client.get(url)
    assert "state" not in response.context["adminform"].form.fields
    body = response.content.decode()
    assert 'value="accept"' in body and 'value="send_back"' in body
    assert 'value="upload_scan"' not in body
    delete = reverse("admin:approvals_departmentreturn_delete", args=[department_return.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:approvals_departmentreturn_add")).status_code == 403


@pytest.mark.parametrize("name", ["notification", "reminderlog", "overduedigestlog"])
def test_it_shows_the_logs_and_the_outbox_read_only(client_for, admin_user, name):
    client = client_for(admin_user)
    assert client.get(reverse(f"admin:approvals_{name}_add")).status_code == 403


def test_it_filters_the_outbox_on_sent_and_unsent(client_for, admin_user, filer):
    Notification.objects.create(recipient=filer, email_to="a@example.edu.cn", subject="未发送")
    Notification.objects.create(
        recipient=filer, email_to="b@example.edu.cn", subject="已发送", email_sent_at=timezone.now()
    )
    client = client_for(admin_user)
    url = reverse("admin:approvals_notification_changelist")
    unsent = client.get(url, {"sent": "no"}).context["cl"].result_list
    assert [n.subject for n in unsent] == ["未发送"]
    sent = client.get(url, {"sent": "yes"}).context["cl"].result_list
    assert [n.subject for n in sent] == ["已发送"]


def test_the_admins_export_button_is_not_our_submit_step(client_for, admin_user):
    """Our 提交审核 (a filing's step) once translated every "Submit", import-export's too."""
    page = client_for(admin_user).get(reverse("admin:registry_account_export")).content.decode()
    assert "提交审核" not in page
    assert 'value="提交"' in page or ">提交<" in page
    assert str(Filing.machine["submit"].label) == "提交审核"


def test_our_words_do_not_retranslate_djangos_admin(client_for, admin_user, filer):
    """ "History" (办理记录) and "active" (进行中) are ours in context: the admin's history button
    and a user's active flag keep Django's own words."""
    client = client_for(admin_user)
    user_page = client.get(reverse("admin:auth_user_change", args=[filer.pk])).content.decode()
    assert "办理记录" not in user_page and "历史" in user_page
    assert "进行中" not in user_page and "有效" in user_page


def test_the_admins_step_form_is_in_chinese_and_prints_no_none(client_for, admin_user, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    page = client_for(admin_user).get(_transition_url(filing, "register")).content.decode()
    main = page.split('id="content"')[1]
    assert 'value="确定"' in main and "Apply" not in main
    assert "None" not in main


def test_the_admins_history_shows_china_time_as_the_site_does(client_for, admin_user, department):
    """An edit logged at 02:30 UTC reads 10:30 in the admin's history (TIME_ZONE Asia/Shanghai),
    the time the site shows for the same moment."""
    account = filing_in(Filing.State.DRAFT, department=department).account
    entry = LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(account),
        object_id=str(account.pk),
        object_repr=str(account),
        action_flag=CHANGE,
        change_message="[]",
    )
    LogEntry.objects.filter(pk=entry.pk).update(
        action_time=datetime(2026, 12, 5, 2, 30, tzinfo=UTC)
    )
    url = reverse("admin:registry_account_history", args=[account.pk])
    page = client_for(admin_user).get(url).content.decode()
    assert "10:30" in page and "02:30" not in page
