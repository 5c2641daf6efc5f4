"""An account's field history: every change to its facts, by whom, when and by which path, with
each field's old and new value; shown on its page (paginated, phones masked for those who may
not see them), and to the reviewer as what changed since the account was last submitted."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from approvals import services
from approvals.models import Filing
from approvals.selectors import CHANGES_PER_PAGE, account_changes
from approvals.services import imports
from approvals.tests.factories import account_form_data, filing_in
from approvals.tests.sheets import form_row, table, xlsx
from registry.models import Account, AccountChange
from registry.personal_data import mask_phone
from registry.roles import HEAD_GROUP
from registry.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _edit(client, filing, department, **changes):
    account = Account.objects.get(pk=filing.account_id)
    data = account_form_data(department, version=str(account.version), **changes)
    response = client.post(reverse("approvals:account_edit", args=[filing.account_id]), data)
    assert response.status_code == 302, response.context["form"].errors
    return response


def _facts(change: AccountChange) -> dict:
    return change.changes


def test_a_site_edit_keeps_who_when_and_each_fields_old_and_new_value(
    client_for, filer, department
):
    filing = filing_in(Filing.State.DRAFT, department=department, **_as_posted(department))
    _edit(client_for(filer), filing, department, owner_name="王芳", member_count="40")
    change = AccountChange.objects.get()
    assert (change.by, change.path) == (filer, AccountChange.Path.SITE)
    assert _facts(change) == {"owner_name": ["张伟", "王芳"], "member_count": [35, 40]}
    # Saving again without a change keeps nothing more.
    _edit(client_for(filer), filing, department, owner_name="王芳", member_count="40")
    assert AccountChange.objects.count() == 1


def test_the_account_page_shows_the_changes_beside_the_steps(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department, **_as_posted(department))
    _edit(client_for(filer), filing, department, owner_name="王芳", platform="wechat_group")
    html = client_for(filer).get(filing.get_absolute_url()).content.decode()
    assert "负责人：<del>张伟</del> → 王芳" in html
    assert "平台：<del>QQ群</del> → 微信群" in html  # choices by their labels
    assert "网页修改" in html  # the path, in words


def test_an_admin_correction_lands_in_the_history_as_such(client_for, department):
    filing = filing_in(Filing.State.REGISTERED, department=department, **_as_posted(department))
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    account = Account.objects.get(pk=filing.account_id)
    url = reverse("admin:registry_account_change", args=[account.pk])
    form = client_for(admin).get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(purpose="更正后的用途", expected_version=account.version, change_reason="更正笔误")
    response = client_for(admin).post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = AccountChange.objects.get()
    assert (change.by, change.path, change.reason) == (admin, AccountChange.Path.ADMIN, "更正笔误")
    assert _facts(change) == {"purpose": ["布置日常工作", "更正后的用途"]}


def test_an_import_keeps_the_changed_rows_and_not_the_unchanged(filer, department):
    first = xlsx(table([form_row(department, 1), form_row(department, 2)]))
    assert imports.sheet_import(
        user=filer, kind="accounts", data=first, file_name="登记表.xlsx", dry_run=False
    ).ok
    assert not AccountChange.objects.exists()  # new accounts: no change to a fact yet
    again = xlsx(table([form_row(department, 1, 负责人="王芳"), form_row(department, 2)]))
    assert imports.sheet_import(
        user=filer, kind="accounts", data=again, file_name="登记表.xlsx", dry_run=False
    ).ok
    change = AccountChange.objects.get()
    assert (change.account.name, change.by, change.path) == (
        "会计学院教职工工作群1",
        filer,
        AccountChange.Path.IMPORT,
    )
    assert _facts(change) == {"owner_name": ["张伟", "王芳"]}


def test_a_dry_run_keeps_nothing(filer, department):
    data = xlsx(table([form_row(department, 1)]))
    imports.sheet_import(user=filer, kind="accounts", data=data, file_name="a.xlsx", dry_run=False)
    changed = xlsx(table([form_row(department, 1, 负责人="王芳")]))
    imports.sheet_import(
        user=filer, kind="accounts", data=changed, file_name="a.xlsx", dry_run=True
    )
    assert not AccountChange.objects.exists()


def test_phone_numbers_in_the_history_are_masked_for_those_who_may_not_see_them(
    client_for, filer, department, reviewer
):
    filing = filing_in(Filing.State.DRAFT, department=department, **_as_posted(department))
    _edit(client_for(filer), filing, department, owner_phone="13900139000")
    head = UserFactory(username="head")
    head.groups.add(Group.objects.get(name=HEAD_GROUP))
    department.heads.add(head)
    for user, shown in ((reviewer, str), (head, mask_phone)):
        html = client_for(user).get(filing.get_absolute_url()).content.decode()
        assert f"联系电话：<del>{shown('13800138000')}</del> → {shown('13900139000')}" in html
    assert "13900139000" not in html and "13800138000" not in html  # the head's page


def test_a_long_history_comes_a_page_at_a_time(filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    AccountChange.objects.bulk_create(
        AccountChange(
            account_id=filing.account_id,
            by=filer,
            path="site",
            changes={"member_count": [n, n + 1]},
        )
        for n in range(CHANGES_PER_PAGE + 5)
    )
    account = Account.objects.get(pk=filing.account_id)
    first = account_changes(account=account, user=filer)
    second = account_changes(account=account, user=filer, page="2")
    assert (len(first.entries), first.has_next, first.has_previous) == (
        CHANGES_PER_PAGE,
        True,
        False,
    )
    assert (len(second.entries), second.has_next, second.has_previous) == (5, False, True)
    assert first.entries[0].facts[0].new == str(CHANGES_PER_PAGE + 5)  # newest first
    assert account_changes(account=account, user=filer, page="99999999999999999999").entries == []


def test_the_reviewer_sees_what_changed_since_the_last_submission(
    client_for, filer, reviewer, department
):
    """A name the reviewer asked to change does not simply vanish: they see what it was."""
    filing = filing_in(
        Filing.State.DRAFT, department=department, **_as_posted(department, name="老师们的群")
    )
    services.step_take(filing, "submit", by=filer, comment="")
    services.step_take(filing, "return_for_revision", by=reviewer, comment="名称请写明单位")
    _edit(client_for(filer), filing, department, name="会计学院教职工工作群", member_count="36")
    _edit(client_for(filer), filing, department, name="会计学院教职工工作群", member_count="35")
    services.step_take(Filing.objects.get(pk=filing.pk), "submit", by=filer, comment="已改名")
    response = client_for(reviewer).get(filing.get_absolute_url())
    facts = response.context["since_submitted"]
    # The member count went back where it was: only the name changed, net.
    assert [(f.label, f.old, f.new) for f in facts] == [
        ("名称", "老师们的群", "会计学院教职工工作群")
    ]
    assert "自上次提交以来的修改" in response.content.decode()


def test_an_account_submitted_once_says_nothing_of_changes(client_for, filer, reviewer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    services.step_take(filing, "submit", by=filer, comment="")
    assert client_for(reviewer).get(filing.get_absolute_url()).context["since_submitted"] is None


def _as_posted(department, **overrides) -> dict:
    """The account's facts as account_form_data posts them, so that an edit changes only what a
    test says."""
    data = account_form_data(department, **overrides)
    return {
        "name": data["name"],
        "platform": data["platform"],
        "number": data["number"],
        "naming_level": data["naming_level"],
        "category": data["category"],
        "purpose": data["purpose"],
        "created_on": data["created_on"],
        "owner_name": data["owner_name"],
        "owner_post": data["owner_post"],
        "owner_phone": data["owner_phone"],
        "security_contact_name": data["security_contact_name"],
        "member_count": int(data["member_count"]),
        "real_name_admission": True,
        "last_active_on": data["last_active_on"],
        "disposition": "keep",
        "rules_acknowledged": True,
    }


def test_the_review_queue_marks_the_accounts_changed_since_their_last_submission(
    client_for, filer, reviewer, department
):
    changed, unchanged, first_time = (
        filing_in(Filing.State.DRAFT, department=department, **_as_posted(department, **fields))
        for fields in (
            {"name": "老师们的群"},
            {"name": "学生群", "number": "611"},
            {"number": "612"},
        )
    )
    for filing in (changed, unchanged):
        services.step_take(filing, "submit", by=filer, comment="")
        services.step_take(filing, "return_for_revision", by=reviewer, comment="请修改")
    _edit(client_for(filer), changed, department, name="会计学院教职工工作群")
    for filing in (changed, unchanged, first_time):
        services.step_take(Filing.objects.get(pk=filing.pk), "submit", by=filer, comment="")
    page = client_for(reviewer).get(reverse("approvals:review_queue")).context["page"]
    marked = {account.pk: account.changed for account in page}
    assert marked == {
        changed.account_id: True,
        unchanged.account_id: False,
        first_time.account_id: False,
    }
