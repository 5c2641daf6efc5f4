"""变更备案: a department asks to change a registered account's facts; they apply only when a
reviewer approves, with their field history; returned, the request is kept with the comment.
What needs no review applies at once; bad input is refused with the field named."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse

from approvals import services
from approvals.models import ChangeRequest, Filing
from approvals.models.changes import CHANGE_COMMENT_REQUIRED
from approvals.services import changes, exports
from approvals.tests.factories import account_form_data, filing_in
from approvals.tests.test_field_history import _as_posted
from registry import services as registry_services
from registry.models import Account, AccountChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(department):
    return filing_in(Filing.State.REGISTERED, department=department, **_as_posted(department))


def _ask(client, filing, department, reason="负责人调离", **changes_):
    account = Account.objects.get(pk=filing.account_id)
    data = account_form_data(department, version=str(account.version), **changes_)
    data["change_reason"] = reason
    return client.post(reverse("approvals:change_request", args=[filing.account_id]), data)


def test_a_change_waits_for_review_and_the_account_keeps_its_facts(
    client_for, filer, registered, department
):
    response = _ask(client_for(filer), registered, department, owner_name="王芳")
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert (change.state, change.proposed, change.base, change.reason) == (
        "pending",
        {"owner_name": "王芳"},
        {"owner_name": "张伟"},
        "负责人调离",
    )
    account = Account.objects.get(pk=registered.account_id)
    assert account.owner_name == "张伟"  # still the registered facts
    assert Filing.objects.get(pk=registered.pk).state == Filing.State.REGISTERED
    page = client_for(filer).get(registered.get_absolute_url()).content.decode()
    assert "变更待审" in page and "王芳" in page


def test_approved_the_facts_apply_with_their_history(
    client_for, filer, reviewer, registered, department
):
    _ask(client_for(filer), registered, department, owner_name="王芳")
    change = ChangeRequest.objects.get()
    url = reverse("approvals:change_transition", args=[change.pk, "approve_change"])
    response = client_for(reviewer).post(url, {"approve_change-comment": "同意"})
    assert response.status_code == 302
    assert Account.objects.get(pk=registered.account_id).owner_name == "王芳"
    assert ChangeRequest.objects.get().state == "approved"
    history = AccountChange.objects.get()
    assert (history.path, history.by, history.changes, history.reason) == (
        AccountChange.Path.CHANGE_REQUEST,
        reviewer,
        {"owner_name": ["张伟", "王芳"]},
        "负责人调离",
    )


def test_returned_the_request_is_kept_with_the_comment(
    client_for, filer, reviewer, registered, department
):
    _ask(client_for(filer), registered, department, owner_name="王芳")
    change = ChangeRequest.objects.get()
    url = reverse("approvals:change_transition", args=[change.pk, "return_change"])
    assert client_for(reviewer).post(url, {"return_change-comment": ""}).status_code == 400
    client_for(reviewer).post(url, {"return_change-comment": "请附调令"})
    change.refresh_from_db()
    assert change.state == "returned"
    assert Account.objects.get(pk=registered.account_id).owner_name == "张伟"
    # Nothing pending now: the department may ask again.
    assert _ask(client_for(filer), registered, department, owner_name="王芳").status_code == 302


def test_the_member_count_and_last_active_date_apply_at_once(
    client_for, filer, registered, department
):
    _ask(client_for(filer), registered, department, member_count="80", last_active_on="2026-12-01")
    assert not ChangeRequest.objects.exists()
    account = Account.objects.get(pk=registered.account_id)
    assert (account.member_count, str(account.last_active_on)) == (80, "2026-12-01")
    assert AccountChange.objects.get().path == AccountChange.Path.SITE


def test_mixed_the_immediate_facts_apply_and_the_rest_wait(
    client_for, filer, registered, department, settings
):
    settings.NEWMEDIA_CHANGE_IMMEDIATE_FIELDS = ["member_count"]
    _ask(client_for(filer), registered, department, member_count="80", last_active_on="2026-12-01")
    assert Account.objects.get(pk=registered.account_id).member_count == 80
    assert ChangeRequest.objects.get().proposed == {"last_active_on": "2026-12-01"}


def test_a_second_request_is_refused_while_one_waits(client_for, filer, registered, department):
    _ask(client_for(filer), registered, department, owner_name="王芳")
    response = _ask(client_for(filer), registered, department, owner_name="赵强")
    assert response.status_code == 200
    assert "已有一项变更在等待审核" in response.content.decode()
    assert ChangeRequest.objects.get().proposed == {"owner_name": "王芳"}


def test_a_change_that_breaks_a_rule_is_refused_with_the_field_named(
    client_for, filer, registered, department
):
    filing_in(Filing.State.REGISTERED, department=department, number="699999999")
    response = _ask(client_for(filer), registered, department, number="699999999")
    assert response.status_code == 200
    assert response.context["form"].errors.get("number") or response.context["form"].errors.get(
        "__all__"
    )
    temporary = _ask(client_for(filer), registered, department, category="temporary_group")
    assert "任务结束日期" in str(temporary.context["form"].errors)  # the field, named
    assert not ChangeRequest.objects.exists()


def test_a_stale_request_form_is_refused(client_for, filer, registered, department):
    account = Account.objects.get(pk=registered.account_id)
    data = account_form_data(department, version=str(account.version - 1), owner_name="王芳")
    data["change_reason"] = "调离"
    response = client_for(filer).post(
        reverse("approvals:change_request", args=[registered.account_id]), data
    )
    assert response.status_code == 200 and not ChangeRequest.objects.exists()
    assert registry_services.STALE_EDIT in response.context["form"].non_field_errors()


def test_approval_is_refused_when_the_account_changed_since(
    client_for, filer, reviewer, registered, department, settings
):
    _ask(client_for(filer), registered, department, owner_name="王芳")
    account = Account.objects.get(pk=registered.account_id)
    account.owner_name = "赵强"
    registry_services.account_update(
        account=account, version=account.version, by=None, path="admin"
    )
    change = ChangeRequest.objects.get()
    with pytest.raises(ValidationError, match="负责人已被修改"):
        services.step_take(change, "approve_change", by=reviewer, comment="")
    assert Account.objects.get(pk=registered.account_id).owner_name == "赵强"


def test_a_draft_is_edited_not_changed(client_for, filer, department):
    draft = filing_in(Filing.State.DRAFT, department=department, **_as_posted(department))
    response = _ask(client_for(filer), draft, department, owner_name="王芳")
    assert response.status_code == 200 and not ChangeRequest.objects.exists()


def test_another_departments_filer_cannot_ask(client_for, outsider, registered, department):
    response = _ask(client_for(outsider), registered, department, owner_name="王芳")
    assert response.status_code in (403, 404)
    assert not ChangeRequest.objects.exists()


def test_only_the_department_may_withdraw_and_only_a_reviewer_approve(
    client_for, filer, reviewer, registered, department
):
    _ask(client_for(filer), registered, department, owner_name="王芳")
    change = ChangeRequest.objects.get()
    approve = reverse("approvals:change_transition", args=[change.pk, "approve_change"])
    assert client_for(filer).post(approve, {}).status_code in (400, 403)
    assert ChangeRequest.objects.get().state == "pending"
    withdraw = reverse("approvals:change_transition", args=[change.pk, "withdraw_change"])
    assert client_for(filer).post(withdraw, {}).status_code == 302
    assert ChangeRequest.objects.get().state == "withdrawn"


def test_immediate_fields_ignore_names_that_are_no_facts(settings):
    settings.NEWMEDIA_CHANGE_IMMEDIATE_FIELDS = ["member_count", "password"]
    assert changes.immediate_fields() == ["member_count"]


def test_a_validation_error_carries_the_field(registered, filer):
    account = Account.objects.get(pk=registered.account_id)
    account.category = "temporary_group"
    account.task_end_on = None
    with pytest.raises(ValidationError) as refused:
        changes.change_request_create(
            account=account, by=filer, version=account.version, reason="改为临时群"
        )
    assert refused.value.error_dict


def _admin_post(client, account, **changes_):
    url = reverse("admin:registry_account_change", args=[account.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(expected_version=account.version, **changes_)
    return client.post(url, data)


@pytest.fixture
def staff_reviewer(reviewer):
    reviewer.is_staff = True
    reviewer.save()
    reviewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_account", "view_account"])
    )
    return reviewer


def test_an_admin_change_without_the_permission_becomes_a_change_request(
    client_for, staff_reviewer, registered
):
    account = Account.objects.get(pk=registered.account_id)
    response = _admin_post(
        client_for(staff_reviewer), account, owner_name="王芳", change_reason="调离"
    )
    assert response.status_code == 302
    assert Account.objects.get(pk=account.pk).owner_name == "张伟"
    change = ChangeRequest.objects.get()
    assert (change.proposed, change.requested_by, change.reason) == (
        {"owner_name": "王芳"},
        staff_reviewer,
        "调离",
    )


def test_an_admin_change_to_registered_data_needs_a_reason(client_for, staff_reviewer, registered):
    account = Account.objects.get(pk=registered.account_id)
    response = _admin_post(client_for(staff_reviewer), account, owner_name="王芳")
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    assert not ChangeRequest.objects.exists() and not AccountChange.objects.exists()


def test_with_the_permission_the_admin_corrects_directly_with_the_reason(
    client_for, staff_reviewer, registered
):
    staff_reviewer.user_permissions.add(Permission.objects.get(codename="correct_registered_data"))
    account = Account.objects.get(pk=registered.account_id)
    _admin_post(client_for(staff_reviewer), account, owner_name="王芳", change_reason="更正笔误")
    assert Account.objects.get(pk=account.pk).owner_name == "王芳"
    assert not ChangeRequest.objects.exists()
    assert AccountChange.objects.get().reason == "更正笔误"


def test_a_pending_change_shows_in_the_queue_the_centre_and_the_register(
    client_for, filer, reviewer, registered, department
):
    from approvals.services import exports
    from approvals.tests.factories import CampaignFactory

    CampaignFactory()
    _ask(client_for(filer), registered, department, owner_name="王芳", purpose="新用途")
    queue = client_for(reviewer).get(reverse("approvals:review_queue"))
    [listed] = queue.context["changes"]
    assert (listed.account.pk, listed.fields) == (registered.account_id, "用途、负责人")
    centre = client_for(reviewer).get(reverse("approvals:command_centre"))
    assert centre.context["totals"].pending_changes == 1
    register = exports.register_export(user=reviewer, file_format="csv").decode("utf-8-sig")
    assert "已登记备案（变更待审）" in register
    assert "王芳" not in register  # the registered facts, not the requested ones


def test_the_departments_form_shows_the_registered_facts_marked_change_awaiting_review(
    client_for, filer, registered, department
):
    registered.account.remarks = "原有备注"
    registered.account.save(update_fields=["remarks"])
    _ask(client_for(filer), registered, department, owner_name="王芳", remarks="原有备注")
    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.form_xlsx(department=department, mask=False))
    ).active
    cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert "变更待审；原有备注" in cells
    assert "张伟" in cells and "王芳" not in cells  # the registered owner, not the requested one
    printed = client_for(filer).get(reverse("approvals:form_print", args=[department.pk]))
    assert "变更待审；原有备注" in printed.content.decode()
    # Once the change is decided, the note goes.
    change = ChangeRequest.objects.get()
    services.step_take(change, "withdraw_change", by=filer, comment="不改了")
    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.form_xlsx(department=department, mask=False))
    ).active
    cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert "原有备注" in cells and not any("变更待审" in cell for cell in cells)


@pytest.fixture
def two_pending(client_for, filer, department):
    """Two registered accounts of the department, each with a change of owner waiting."""
    second_facts = {"name": "会计学院第二工作群", "number": "612345999"}
    first = filing_in(Filing.State.REGISTERED, department=department, **_as_posted(department))
    second = filing_in(
        Filing.State.REGISTERED, department=department, **_as_posted(department, **second_facts)
    )
    _ask(client_for(filer), first, department, owner_name="王芳")
    _ask(client_for(filer), second, department, owner_name="王芳", **second_facts)
    assert ChangeRequest.objects.filter(state="pending").count() == 2
    return first, second


def _review(client, **data):
    return client.post(
        reverse("approvals:changes_review"), {f"change-{k}": v for k, v in data.items()}
    )


def _said(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def test_a_reviewer_approves_several_changes_at_once(client_for, reviewer, two_pending):
    changes_ = list(ChangeRequest.objects.order_by("pk"))
    response = _review(
        client_for(reviewer), action="approve_change", changes=[c.pk for c in changes_]
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#changes-title")
    assert set(ChangeRequest.objects.values_list("state", flat=True)) == {"approved"}
    for filing in two_pending:
        assert Account.objects.get(pk=filing.account_id).owner_name == "王芳"
    assert any("同意变更" in said and "会计学院第二工作群" in said for said in _said(response))


def test_a_bulk_return_needs_its_comment_and_changes_nothing_without(
    client_for, reviewer, two_pending
):
    ids = list(ChangeRequest.objects.values_list("pk", flat=True))
    client = client_for(reviewer)
    response = _review(client, action="return_change", changes=ids)
    assert set(ChangeRequest.objects.values_list("state", flat=True)) == {"pending"}
    assert str(CHANGE_COMMENT_REQUIRED) in _said(response)
    _review(client, action="return_change", changes=ids, comment="请写明调离日期。")
    assert set(ChangeRequest.objects.values_list("state", flat=True)) == {"returned"}


def test_one_refused_change_leaves_the_others_done_and_says_why(client_for, reviewer, two_pending):
    first, _second = two_pending
    # The first account's owner changed since the request: its approval is refused.
    Account.objects.filter(pk=first.account_id).update(owner_name="赵敏", version=F("version") + 1)
    ids = list(ChangeRequest.objects.values_list("pk", flat=True))
    response = _review(client_for(reviewer), action="approve_change", changes=ids)
    states = dict(ChangeRequest.objects.values_list("account_id", "state"))
    assert states[first.account_id] == "pending" and list(states.values()).count("approved") == 1
    said = _said(response)
    assert any("会计学院教职工工作群" in one and "未处理" in one for one in said), said


def test_only_reviewers_review_changes_in_bulk_and_only_pending_visible_ones(
    client_for, filer, reviewer, two_pending
):
    ids = list(ChangeRequest.objects.values_list("pk", flat=True))
    assert _review(client_for(filer), action="approve_change", changes=ids).status_code == 403
    assert client_for(reviewer).get(reverse("approvals:changes_review")).status_code == 405
    # A change no longer pending is not a valid choice: nothing happens, the reviewer is told.
    ChangeRequest.objects.filter(pk=ids[0]).update(state="withdrawn")
    response = _review(client_for(reviewer), action="approve_change", changes=[ids[0]])
    assert ChangeRequest.objects.get(pk=ids[0]).state == "withdrawn"
    assert any("选择" in said for said in _said(response))
