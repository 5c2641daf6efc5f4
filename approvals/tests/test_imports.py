"""The registration form and the staff roster imported from offices' spreadsheets: all or
nothing, every bad input refused with its row, column and message, only one's own department,
and a round trip that changes nothing."""

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Filing
from approvals.services import exports, imports
from approvals.tests.factories import filing_in
from approvals.tests.sheets import HEADERS, csv_file, form_row, table, xlsx
from audit.models import AuditEvent
from registry import layouts, office_forms, resources, sheets
from registry.models import Account, Staff
from registry.tests.factories import StaffFactory, UserFactory


def _import(user, data, *, dry_run=False, kind="accounts", department=None):
    return imports.sheet_import(
        user=user,
        kind=kind,
        data=data,
        file_name="登记表.xlsx",
        dry_run=dry_run,
        department=department,
    )


def _snapshot():
    return (
        list(Account.objects.order_by("pk").values_list()),
        list(Filing.objects.order_by("pk").values_list("account_id", "state")),
        list(Staff.objects.order_by("pk").values_list()),
    )


def _problems(report):
    return [(p.row, p.column, p.message) for p in report.problems]


def _label(field):
    return layouts.FORM.label(field)


# What a filer's file does.


def test_it_shows_a_dry_run_and_writes_nothing(filer, department):
    data = xlsx(table([form_row(department, 1), form_row(department, 2)]))
    report = _import(filer, data, dry_run=True)
    assert report.ok and [row for row, _name in report.new] == [2, 3]
    assert _snapshot() == ([], [], [])
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORTED).exists()


def test_it_imports_new_accounts_as_drafts_under_a_title_and_above_a_signature(filer, department):
    data = xlsx(
        table([form_row(department, 1), form_row(department, 2)]), title="登记表", footer=True
    )
    report = _import(filer, data)
    assert report.ok and len(report.new) == 2
    account = Account.objects.get(number="612345001")
    assert (account.department, account.created_by, account.filing.state) == (
        department,
        filer,
        Filing.State.DRAFT,
    )
    assert (account.created_on, account.member_count, account.real_name_admission) == (
        dt.date(2024, 9, 1),
        35,
        True,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORTED)
    assert event.detail == "registry.Account from 登记表.xlsx: 2 new, 0 updated, 0 skipped"


def test_it_changes_nothing_when_the_same_file_comes_again(filer, department):
    data = xlsx(table([form_row(department, n) for n in range(1, 4)]))
    _import(filer, data)
    before = _snapshot()
    report = _import(filer, data)
    assert (report.new, report.changed, report.unchanged) == ([], [], 3)
    assert _snapshot() == before


def test_it_updates_a_draft_and_bumps_its_version(filer, department):
    _import(filer, xlsx(table([form_row(department)])))
    report = _import(filer, xlsx(table([form_row(department, **{"成员人数 / 粉丝数": 40})])))
    assert len(report.changed) == 1
    account = Account.objects.get()
    assert (account.member_count, account.version) == (40, 2)


def test_it_reads_columns_in_another_order_and_header_variants(filer, department):
    headers = [
        "群名称",
        "群号",
        "平台 ",
        "群主",
        "所属单位",
        "命名层级",
        "类别（必填）",
        "手机号码",
    ]
    row = [
        "教研群",
        612349999.0,
        "ＱＱ群",
        "王芳",
        department.code,
        "部门",
        "工作群",
        "13900139000",
    ]
    assert _import(filer, xlsx([headers, row])).ok
    account = Account.objects.get()
    assert (account.name, account.number, account.platform, account.owner_phone) == (
        "教研群",
        "612349999",
        "qq_group",
        "13900139000",
    )


@pytest.mark.parametrize(
    "cell", ["2020年6月1日", "2020/6/1", "2020.6.1", "2020-06-01", 43983, dt.date(2020, 6, 1)]
)
def test_it_reads_dates_as_text_and_as_excel_serial_numbers(filer, department, cell):
    assert _import(filer, xlsx(table([form_row(department, 建立时间=cell)]))).ok
    assert Account.objects.get().created_on == dt.date(2020, 6, 1)


@pytest.mark.parametrize(
    "cell",
    [13800138000, 13800138000.0, "13800138000.0", "１３８ ００１３ ８０００", "+86 138-0013-8000"],
)
def test_it_normalises_phone_numbers(filer, department, cell):
    assert _import(filer, xlsx(table([form_row(department, 联系电话=cell)]))).ok
    assert Account.objects.get().owner_phone == "13800138000"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_it_imports_csv_as_excel_in_china_saves_it(filer, department, encoding):
    assert _import(filer, csv_file(table([form_row(department)]), encoding)).ok
    assert Account.objects.get().name == "会计学院教职工工作群1"


def test_it_keeps_a_formula_like_name_as_text(filer, department):
    assert _import(filer, csv_file(table([form_row(department, 名称='=HYPERLINK("x")')]))).ok
    assert Account.objects.get().name == '=HYPERLINK("x")'


# Every bad row: its row, its column, its message, and nothing written.


@pytest.fixture
def registered(other_department):
    return filing_in(Filing.State.REGISTERED, department=other_department, number="612345009")


BAD_ROWS = {
    "unknown department": (
        {"所属单位": "不存在学院"},
        "department",
        lambda: layouts.UNKNOWN_DEPARTMENT % {"value": "不存在学院"},
    ),
    "unknown platform": (
        {"平台": "飞书"},
        "platform",
        lambda: (
            layouts.BAD_CHOICE
            % {
                "value": "飞书",
                "choices": "、".join(str(label) for _code, label in Account.Platform.choices),
            }
        ),
    ),
    "bad date": (
        {"建立时间": "2020年13月1日"},
        "created_on",
        lambda: layouts.BAD_DATE % {"value": "2020年13月1日"},
    ),
    "bad phone": (
        {"联系电话": "12345"},
        "owner_phone",
        lambda: layouts.BAD_PHONE % {"value": "12345"},
    ),
    "number of another department": (
        {"账号或群号": "612345009"},
        "number",
        lambda: resources.NUMBER_ELSEWHERE,
    ),
    "missing owner": ({"负责人": ""}, "owner_name", lambda: resources.OWNER_MISSING),
    "missing name": ({"名称": ""}, "name", lambda: layouts.REQUIRED % {"column": _label("name")}),
    "temporary group without an end": (
        {"类别": "临时工作群"},
        "task_end_on",
        lambda: resources._constraint("temporary_group_has_task_end"),
    ),
    "merge without a survivor": (
        {"处置意见": "整合"},
        "merge_into",
        lambda: resources._constraint("merge_names_survivor"),
    ),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_it_refuses_a_file_with_a_bad_row_and_says_where(filer, department, registered, case):
    cells, field, message = BAD_ROWS[case]
    data = xlsx(table([form_row(department, 1), form_row(department, 2, **cells)]), title="登记表")
    before = _snapshot()
    report = _import(filer, data)
    # Title on row 1, the department line on row 2, the header on row 3: the bad row is row 5.
    assert _problems(report) == [(5, _label(field), str(message()))]
    assert _snapshot() == before
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORTED)
    assert event.outcome == AuditEvent.Outcome.FAILURE


def test_it_reports_a_number_twice_in_the_file(filer, department):
    data = xlsx(table([form_row(department, 1), form_row(department, 2, 账号或群号="612345001")]))
    report = _import(filer, data)
    assert _problems(report) == [(3, _label("number"), resources.DUPLICATE_IN_FILE % {"row": 2})]
    assert _snapshot() == ([], [], [])


def test_it_asks_for_the_platform_of_a_row_it_cannot_infer(filer, department):
    headers = [h for h in HEADERS if h != "平台"]
    report = _import(filer, xlsx(table([form_row(department)], headers)))
    message = layouts.REQUIRED % {"column": _label("platform")}
    assert _problems(report) == [(2, _label("platform"), message)]
    assert _snapshot() == ([], [], [])


def test_it_reports_a_header_without_a_name_column(filer, department):
    headers = [h for h in HEADERS if h != "名称"]
    report = _import(filer, xlsx(table([form_row(department)], headers)))
    message = office_forms.NO_NAME_IN_SHEET % {"sheet": "Sheet"}
    assert _problems(report) == [(None, "", message)]
    assert _snapshot() == ([], [], [])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", sheets.EMPTY_FILE),
        (b"\x89PNG\r\n\x1a\n\x00\x00", sheets.NOT_A_SPREADSHEET),
        (xlsx([["名称", "成员人数"], ["群", "=1+1"]]), sheets.UNCALCULATED_FORMULAE),
    ],
)
def test_it_refuses_a_file_it_cannot_read_and_writes_nothing(filer, data, message):
    report = _import(filer, data)
    assert _problems(report) == [(None, "", str(message))]
    assert _snapshot() == ([], [], [])


# Departments and states.


def test_it_refuses_a_row_of_another_department(filer, department, other_department):
    data = xlsx(table([form_row(department, 1), form_row(other_department, 2)]))
    report = _import(filer, data)
    message = resources.NOT_YOUR_DEPARTMENT % {"department": other_department.name}
    assert _problems(report) == [(3, _label("department"), message)]
    assert _snapshot() == ([], [], [])


def test_it_never_moves_another_departments_account(filer, department, registered):
    data = xlsx(table([form_row(department, 9)]))  # 612345009: registered elsewhere
    assert _problems(_import(filer, data)) == [
        (2, _label("number"), str(resources.NUMBER_ELSEWHERE))
    ]
    registered.account.refresh_from_db()
    assert registered.account.department != department


def test_it_refuses_to_change_an_account_no_longer_editable(filer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, number="612345001")
    data = xlsx(table([form_row(department, 1, 用途="改了")]))
    report = _import(filer, data)
    message = resources.NOT_EDITABLE % {"state": filing.get_state_display()}
    assert _problems(report) == [(2, _label("name"), message)]


def test_it_shows_a_state_column_that_differs_as_information(filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department, number="612345001")
    headers = [*HEADERS, "审核状态"]
    data = xlsx(table([form_row(department, 1, 审核状态="已登记")], headers))
    report = _import(filer, data)
    message = resources.STATE_READ_ONLY % {"state": filing.get_state_display()}
    assert report.ok and _problems(report) == []
    assert [(i.row, i.column, i.message) for i in report.info] == [
        (2, str(layouts.STATE.label), message)
    ]
    assert "审核状态以系统为准" in message
    assert Filing.objects.get().state == Filing.State.DRAFT


def test_it_fills_in_the_department_of_a_filer_with_one(filer, department):
    headers = [h for h in HEADERS if h != "所属单位"]
    assert _import(filer, xlsx(table([form_row(department)], headers))).ok
    assert Account.objects.get().department == department


def test_it_refuses_a_user_without_the_permission(db, department):
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        _import(user, xlsx(table([form_row(department)])))


def test_it_lets_a_reviewer_import_any_department(reviewer, department, other_department):
    data = xlsx(table([form_row(department, 1), form_row(other_department, 2)]))
    assert _import(reviewer, data).ok
    assert Account.objects.count() == 2


# Round trips: the site's own form comes back unchanged.


def _accounts(department):
    filing_in(
        Filing.State.DRAFT,
        department=department,
        number="612345001",
        created_on=dt.date(2024, 9, 1),
    )
    filing_in(
        Filing.State.REGISTERED,
        department=department,
        name="=cmd|' /C calc'!A0",
        number="612345002",
    )
    survivor = filing_in(Filing.State.REGISTERED, department=department, number="612345003")
    filing_in(
        Filing.State.DRAFT,
        department=department,
        platform=Account.Platform.WECHAT_OFFICIAL,
        account_type=Account.AccountType.SERVICE,
        number="gh_123",
        category=Account.Category.TEMPORARY_GROUP,
        task_end_on=dt.date(2026, 12, 31),
        disposition=Account.Disposition.MERGE,
        merge_into=survivor.account,
        disposition_reason="合并",
        member_count=1200,
    )
    filing_in(
        Filing.State.DRAFT, department=department, platform=Account.Platform.WECHAT_GROUP, number=""
    )


def _as_csv(content: bytes, encoding: str) -> bytes:
    rows = openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
    cells = [
        [
            "" if v is None else v.date().isoformat() if isinstance(v, dt.datetime) else v
            for v in row
        ]
        for row in rows
    ]
    return csv_file(cells, encoding)


@pytest.mark.parametrize("encoding", [None, "utf-8-sig", "gbk"])
def test_it_takes_back_its_own_form_unchanged(filer, department, encoding):
    _accounts(department)
    content = exports.form_export(user=filer, department=department)
    if encoding:
        content = _as_csv(content, encoding)
    before = _snapshot()
    report = _import(filer, content)
    assert report.ok, report.problems
    assert (report.new, report.changed, report.unchanged) == ([], [], 5)
    assert _snapshot() == before


def test_it_takes_back_the_register_csv_unchanged(reviewer, department):
    _accounts(department)
    content = exports.register_export(user=reviewer, file_format="csv")
    before = _snapshot()
    report = _import(reviewer, content)
    assert report.ok and report.unchanged == 5
    assert _snapshot() == before


def test_it_keeps_the_stored_number_of_a_masked_export(reviewer, department):
    _accounts(department)
    content = exports.register_export(user=reviewer, file_format="xlsx")  # masked
    assert "138****8000" in [
        c.value for c in openpyxl.load_workbook(io.BytesIO(content)).active["N"]
    ]
    before = _snapshot()
    assert _import(reviewer, content).unchanged == 5
    assert _snapshot() == before


# Cost: queries do not grow with the rows.


@pytest.mark.parametrize("dry_run", [True, False])
def test_it_imports_in_a_constant_number_of_queries(filer, department, dry_run):
    counts = []
    for rows in (20, 200):
        Filing.objects.all().delete()
        Account.objects.all().delete()
        data = xlsx(table([form_row(department, n) for n in range(1, rows + 1)]))
        with CaptureQueriesContext(connection) as queries:
            assert _import(filer, data, dry_run=dry_run).ok
        counts.append(len(queries))
    # The first import also reads the user's permissions and departments once. SQLite takes
    # at most 999 parameters a statement, so Django inserts 40 rows at a time there.
    growth = 0 if dry_run or connection.vendor == "postgresql" else 12
    assert counts[1] <= counts[0] + growth
    assert counts[0] <= 25


# The staff roster.


def test_it_imports_the_roster_by_staff_number_and_marks_leavers(
    reviewer, department, other_department
):
    kept = StaffFactory(
        staff_number="T001", name="张伟", department=department, phone="13800138000"
    )
    gone = StaffFactory(staff_number="T002", name="李娜", department=department)
    elsewhere = StaffFactory(staff_number="T003", department=other_department)
    data = xlsx(
        [
            ["工号", "姓名", "部门", "职务", "手机"],
            ["T001", "张伟", department.name, "院长", 13800138000],
            ["T004", "王芳", department.name, "", "139 0013 9000"],
        ]
    )
    preview = _import(reviewer, data, kind="staff", dry_run=True)
    assert preview.ok and preview.marked_left == ["李娜"]
    assert Staff.objects.get(pk=gone.pk).status == Staff.Status.ACTIVE
    report = _import(reviewer, data, kind="staff")
    assert (len(report.new), len(report.changed), report.marked_left) == (1, 1, ["李娜"])
    kept.refresh_from_db(), gone.refresh_from_db(), elsewhere.refresh_from_db()
    assert (kept.post, gone.status, elsewhere.status) == (
        "院长",
        Staff.Status.LEFT,
        Staff.Status.ACTIVE,
    )
    assert Staff.objects.get(staff_number="T004").phone == "13900139000"


def test_it_refuses_a_roster_with_a_staff_number_twice(reviewer, department):
    data = xlsx(
        [["工号", "姓名", "部门"], ["T1", "张伟", department.name], ["T1", "李娜", department.name]]
    )
    report = _import(reviewer, data, kind="staff")
    assert _problems(report) == [
        (3, str(layouts.STAFF.label("staff_number")), resources.DUPLICATE_STAFF % {"row": 2})
    ]
    assert not Staff.objects.exists()


def test_it_keeps_the_roster_import_to_those_with_its_permission(filer, department):
    with pytest.raises(PermissionDenied):
        _import(
            filer, xlsx([["工号", "姓名", "部门"], ["T1", "张伟", department.name]]), kind="staff"
        )
    filer.user_permissions.add(Permission.objects.get(codename="import_staff"))
