"""The whole campaign of one department in a real browser, each step as a person takes it.

On top of the demo data, a new department's filer imports the registration form, fixes the row
the checks flag, uploads a work group's member roster, submits every account and hands in the
stamped form; a reviewer returns one account, and after the filer's fix approves one, registers
one and orders a duplicate closed; the filer reports it closed, the reviewer confirms; both
dashboards then show the new numbers, and the reviewer reminds a department that is late.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from approvals.management.commands.seed_demo import PNG, SCAN_PDF
from approvals.models import DepartmentReturn, Filing, ManualReminderLog, ReturnState
from approvals.tests.sheets import form_row, table, xlsx
from cleanup.models import Finding
from cleanup.tests.factories import qq_export

from .conftest import new_department

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the groups made by migrations are back for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEPARTMENT = "审计处"
WORK_GROUP = "审计处教职工QQ群"  # registered; its member roster is uploaded
SCHOOL_ACCOUNT = "江西财经职业学院审计公众号"  # school-level: approved
DUPLICATE = "审计处教职工QQ群（旧）"  # a duplicate of the work group: merged into it
FLAGGED = "审计处专项审计协调群"  # imported with an owner who has left and no content reviewer
RETURN_COMMENT = "请在用途中写明具体的审计项目。"


def _spreadsheet(department) -> bytes:
    recent = (timezone.localdate() - timedelta(days=2)).isoformat()
    common = {"最近活跃日期": recent, "内容审核人": "吴海燕"}
    rows = [
        form_row(department, 1, **common, 名称=WORK_GROUP, 账号或群号="700000001", 负责人="周建华"),
        form_row(
            department,
            2,
            **common,
            名称=SCHOOL_ACCOUNT,
            平台="微信公众号",
            账号类型="订阅号",
            账号或群号="gh_jxcz_audit",
            命名层级="以学校名义",
            类别="发布号",
            用途="发布审计信息公开",
            负责人="孙志强",
            是否实名="否",
        ),
        form_row(department, 3, **common, 名称=DUPLICATE, 账号或群号="700000002", 负责人="周建华"),
        form_row(
            department,
            4,
            **{**common, "内容审核人": ""},
            名称=FLAGGED,
            平台="微信群",
            账号或群号="",
            命名层级="以工作名义",
            用途="协调审计工作",
            负责人="钱卫东",
        ),
    ]
    return xlsx(table(rows), footer=True)


def _roster() -> bytes:
    members = [
        ("老周", "周建华", "10001"),
        ("海燕", "吴海燕-审计处", "10002"),
        ("小孙", "孙志强", "10003"),
        ("路人甲", "路人甲", "10004"),  # on no staff roster: to remove from a work group
    ]
    return xlsx(qq_export(members, group_number="700000001"))


def _file(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def _go(page, target) -> None:
    """Click a link or a submit button and wait for the page it loads, not the one it leaves."""
    with page.expect_navigation():
        (page.locator(target) if isinstance(target, str) else target).click()


def _open(page, name: str):
    """Find an account in the list by its name and open it, as a person would."""
    _go(page, "nav a[href='/accounts/']")
    page.fill("#id_q", name)
    _go(page, "main form[role=search] button[type=submit]")
    _go(page, page.get_by_role("link", name=name, exact=True))


def _act(page, action: str, *, fill: dict | None = None, files: dict | None = None):
    """Open an action's form on an account or return page, fill it in and confirm it."""
    page.click(f"[data-bs-target='#action-{action}']")
    form = page.locator(f"#action-{action}.show")  # opened, not still opening
    form.wait_for(state="visible")
    for selector, value in (fill or {}).items():
        if selector.startswith("select"):
            form.locator(selector).select_option(value)
        else:
            form.locator(selector).fill(value)
    for selector, value in (files or {}).items():
        form.locator(selector).set_input_files(value)
    _go(page, form.locator("button[type=submit]"))
    assert page.locator(".alert-success").count() == 1, page.inner_text("main")


def _edit(page, fields: dict[str, str], *, acknowledge=True):
    _go(page, "main a[href$='/edit/']")
    for selector, value in fields.items():
        page.fill(selector, value)
    if acknowledge:
        page.check("#id_rules_acknowledged")
    _go(page, "main form.card button[type=submit]")
    assert page.locator(".alert-success").count() == 1, page.inner_text("main")


def _counts(page) -> dict[str, int]:
    """The dashboard's accounts by state: each count links to the list of that state."""
    counts = {}
    for state in Filing.State.values:
        card = page.locator(f"main a[href$='/accounts/?state={state}']").first
        counts[state] = int(card.inner_text().split()[0])
    return counts


def test_it_runs_a_department_through_the_campaign(login, shots):
    department = new_department(
        code="SJ",
        name=DEPARTMENT,
        staff=[("周建华", True), ("吴海燕", True), ("孙志强", True), ("钱卫东", False)],
        filer="filer_sj",
    )
    before = {state: Filing.objects.filter(state=state).count() for state in Filing.State.values}
    filer = login("filer_sj")
    shots.take(filer, "filer-dashboard-empty")

    # The filer imports the registration form: checked first, then confirmed.
    _go(filer, "nav a[href='/form/']")
    filer.set_input_files(
        "#id_file", _file("登记表.xlsx", "application/octet-stream", _spreadsheet(department))
    )
    _go(filer, "form[action$='/form/import/'] button[type=submit]")
    shots.take(filer, "filer-import-preview")
    assert filer.locator("#report-title").count() == 1
    _go(filer, "form[action*='/confirm/'] button[type=submit]")
    assert filer.locator(".alert-success").count() == 1
    shots.take(filer, "filer-import-done")
    assert Filing.objects.filter(account__department=department, state="draft").count() == 4

    # Acknowledging the content rules on the work group re-runs the department's checks: the
    # flagged row's departed owner now shows on the dashboard.
    _open(filer, WORK_GROUP)
    _edit(filer, {})
    _go(filer, "nav .nav-link[href='/']")
    shots.take(filer, "filer-dashboard-flagged")
    flagged = Finding.objects.get(account__name=FLAGGED, rule="owner_departed", resolved_at=None)
    assert filer.locator("main").get_by_text(flagged.explanation).count() == 1

    # The flagged row: its submission is blocked (no content reviewer) and its owner has left.
    _go(filer, filer.get_by_role("link", name=FLAGGED).first)
    assert filer.locator("[data-bs-target='#action-submit']").count() == 0  # disabled, with why
    shots.take(filer, "filer-account-flagged")
    _edit(filer, {"#id_owner_name": "孙志强", "#id_security_contact_name": "吴海燕"})
    shots.take(filer, "filer-account-fixed")
    assert not Finding.objects.filter(
        account__name=FLAGGED, rule="owner_departed", resolved_at=None
    ).exists()

    # The work group's member roster: one member is not staff and is removed from the group.
    _open(filer, WORK_GROUP)
    _go(filer, "main a[href$='/roster/']")
    filer.set_input_files(
        "form[action$='/roster/upload/'] input[type=file]",
        _file("群成员.xlsx", "application/octet-stream", _roster()),
    )
    _go(filer, "form[action$='/roster/upload/'] button[type=submit]")
    assert filer.locator(".alert-success").count() == 1
    _go(filer, ".nav-pills a[href='?mark=to_remove']")
    filer.check("input[name=members]")
    shots.take(filer, "filer-roster-to-remove")
    _go(filer, "form[action$='/roster/removals/'] button[type=submit]")
    assert filer.locator(".alert-success").count() == 1
    shots.take(filer, "filer-roster-done")

    # Every account acknowledged and submitted.
    for name in (SCHOOL_ACCOUNT, DUPLICATE):
        _open(filer, name)
        _edit(filer, {})
    for name in (WORK_GROUP, SCHOOL_ACCOUNT, DUPLICATE, FLAGGED):
        _open(filer, name)
        _act(filer, "submit")
    shots.take(filer, "filer-account-submitted")

    # The hand-in (every account is out of draft now), then the scan of the stamped form.
    _go(filer, "nav .nav-link[href='/']")
    _go(
        filer,
        filer.locator(
            f"form[action$='/returns/open/{department.pk}/'] button, main a[href^='/returns/']"
        ).first,
    )
    # A blocking finding still open asks for the reason the department hands in with it.
    reason = "textarea[name='hand_in-reason']"
    has_reason = filer.locator(reason).count()
    _act(filer, "hand_in", fill={reason: "名称问题已报宣传统战处。"} if has_reason else None)
    _act(
        filer,
        "upload_scan",
        files={"input[type=file]": _file("登记表盖章.pdf", "application/pdf", SCAN_PDF)},
    )
    shots.take(filer, "filer-return-handed-in")
    assert DepartmentReturn.objects.get(department=department).state == "handed_in"

    # The reviewer returns the flagged row from the review queue, saying what to change.
    reviewer = login("reviewer1")
    shots.take(reviewer, "reviewer-dashboard-before")
    _go(reviewer, "nav a[href='/review/']")
    # The queue filtered to the department (the demo's submissions fill several pages).
    reviewer.select_option("#id_department", label=DEPARTMENT)
    _go(reviewer, "main form[role=search] button[type=submit]")
    # The header's box ticks every row of the page, and clears them again.
    rows = reviewer.locator("main input[name=filings]")
    reviewer.check("[data-select-all=filings]")
    assert rows.count() > 1 and all(rows.nth(i).is_checked() for i in range(rows.count()))
    reviewer.uncheck("[data-select-all=filings]")
    assert not any(rows.nth(i).is_checked() for i in range(rows.count()))
    row = reviewer.get_by_role("checkbox", name=FLAGGED)
    row.check()
    reviewer.select_option("#id_action", "return_for_revision")
    reviewer.fill("#id_comment", RETURN_COMMENT)
    shots.take(reviewer, "reviewer-queue")
    _go(reviewer, reviewer.get_by_role("button", name="对所选账号执行"))
    # Back on the filtered queue, the action still chosen.
    assert f"department={department.pk}" in reviewer.url
    assert reviewer.locator("#id_action").input_value() == "return_for_revision"
    assert reviewer.locator(".alert-success").count() == 1

    # The filer reads the comment on the dashboard, fixes and resubmits.
    _go(filer, "nav .nav-link[href='/']")
    assert filer.locator("main").get_by_text(RETURN_COMMENT).count() >= 1
    shots.take(filer, "filer-dashboard-returned")
    _go(filer, filer.get_by_role("link", name=FLAGGED).first)
    _edit(filer, {"#id_purpose": "协调2026年度专项审计项目"}, acknowledge=False)
    _act(filer, "submit")

    # The reviewer approves the school's account, registers the work group and orders the
    # duplicate merged into it.
    _open(reviewer, SCHOOL_ACCOUNT)
    _act(reviewer, "approve")
    shots.take(reviewer, "reviewer-account-approved")
    # The school's account waits for the leaders (the demo's chain): the leader in charge signs
    # from the queue, then both members of the countersigning level.
    # leader3 is away and hands the countersignature to leader1, who signs for both.
    leaders = {username: login(username) for username in ("leader1", "leader2", "leader3")}
    for username, step in (
        ("leader1", "sign_off"),
        ("leader2", "sign_off"),
        ("leader3", "hand_over_signature"),
        ("leader1", "sign_off"),
    ):
        leader = leaders[username]
        _go(leader, "nav a[href='/signoffs/']")
        _go(leader, leader.get_by_role("link", name=SCHOOL_ACCOUNT, exact=True))
        fill = {"textarea[name$='comment']": "同意" if step == "sign_off" else "出差，请王校长代签"}
        if step == "hand_over_signature":
            fill["select[name$='-to']"] = str(get_user_model().objects.get(username="leader1").pk)
        _act(leader, step, fill=fill)
        shots.take(leader, f"{username}-{step}")
    shots.take(leaders["leader1"], "chain-signed")
    assert Filing.objects.get(account__name=SCHOOL_ACCOUNT).state == Filing.State.APPROVED
    _open(reviewer, WORK_GROUP)
    _act(reviewer, "register")

    # 变更备案: the work group's owner leaves; the filer asks to change the registered account,
    # which keeps its facts until the reviewer approves; the page then shows the change.
    _open(filer, WORK_GROUP)
    _go(filer, "main a[href$='/change/']")
    filer.fill("#id_owner_name", "王芳")
    filer.fill("#id_change_reason", "原负责人调离，改由王芳负责")
    _go(filer, "main form.card button[type=submit]")
    assert filer.locator(".alert-success").count() == 1, filer.inner_text("main")
    assert filer.locator("#change-title").count() == 1  # 变更待审, on the account's page
    shots.take(filer, "filer-change-requested")
    _open(reviewer, WORK_GROUP)
    _go(reviewer, "main form[action$='/approve_change/'] button[type=submit]")
    assert reviewer.locator(".alert-success").count() == 1, reviewer.inner_text("main")
    history = reviewer.locator("section[aria-labelledby=changes-title]").inner_text()
    assert "王芳" in history and "变更申请通过" in history
    shots.take(reviewer, "reviewer-change-approved")
    _open(reviewer, DUPLICATE)
    survivor = Filing.objects.get(account__name=WORK_GROUP).account_id
    _act(
        reviewer,
        "order_closure",
        fill={
            "select[name$='kind']": "merge",
            "select[name$='merge_into']": str(survivor),
            "input[name$='reason']": "与教职工QQ群重复，成员并入该群",
        },
    )
    shots.take(reviewer, "reviewer-closure-ordered")

    # The filer reports the duplicate closed with a screenshot; the reviewer confirms.
    _go(filer, "nav .nav-link[href='/']")
    _go(filer, filer.get_by_role("link", name=DUPLICATE).first)
    _act(filer, "report_closed", files={"input[type=file]": _file("已解散.png", "image/png", PNG)})
    _open(reviewer, DUPLICATE)
    shots.take(reviewer, "reviewer-closure-reported")
    _act(reviewer, "confirm_closed")
    shots.take(reviewer, "reviewer-account-closed")

    # Both dashboards show the new numbers.
    _go(filer, "nav .nav-link[href='/']")
    shots.take(filer, "filer-dashboard-after")
    assert _counts(filer) == {
        **dict.fromkeys(Filing.State.values, 0),
        "submitted": 1,
        "approved": 1,
        "registered": 1,
        "closed": 1,
    }
    _go(reviewer, "nav .nav-link[href='/']")
    shots.take(reviewer, "reviewer-dashboard-after")
    added = {"submitted": 1, "approved": 1, "registered": 1, "closed": 1}
    assert _counts(reviewer) == {s: n + added.get(s, 0) for s, n in before.items()}

    # The command centre: the department's row, found by its name, shows the hand-in (changed
    # since: an account was returned and resubmitted after it) and the accounts by state, and
    # nothing left for it to do, so there is no one to remind.
    _go(reviewer, "nav a[href='/centre/']")
    shots.take(reviewer, "reviewer-command-centre")
    reviewer.fill("#id_q", DEPARTMENT)
    _go(reviewer, "main form[role=search] button[type=submit]")
    row = reviewer.locator("main tbody tr", has_text=DEPARTMENT)
    assert row.count() == 1
    shots.take(reviewer, "reviewer-command-centre-department")
    with translation.override("zh-hans"):
        states = sorted(f"{Filing.State(s).label} 1" for s in added)
        handed_in = f"{ReturnState.HANDED_IN.label} {_('Changed since the hand-in')}"
    assert sorted(row.locator("td").nth(2).inner_text().splitlines()) == states
    assert row.locator("td").nth(1).inner_text() == handed_in
    assert row.locator("button[type=submit]").count() == 0

    # Another department has not handed in: one click reminds its filers, and its row says so.
    _go(reviewer, "nav a[href='/centre/']")
    late = reviewer.locator("main tbody tr", has=reviewer.locator("button[name=department]"))
    name = late.first.locator("th").inner_text().splitlines()[0]
    _go(reviewer, late.first.locator("button[name=department]"))
    assert reviewer.locator(".alert-success").count() == 1, reviewer.inner_text("main")
    shots.take(reviewer, "reviewer-reminder-sent")
    assert ManualReminderLog.objects.filter(department__name=name).count() >= 1
    row = reviewer.locator("main tbody tr", has=reviewer.get_by_text(name, exact=True))
    with translation.override("zh-hans"):
        assert str(_("sent by a reviewer")) in row.inner_text()
