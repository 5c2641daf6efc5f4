"""The forms offices already have import: QQ sheets, WeChat 清查 sheets (CSV in GBK), public-account
forms as Word tables, and workbooks with a sheet per platform, each with the right platform,
owner and administrator; every inferred value shown on the dry run; the same file again changes
nothing; and every bad input refused with its message and nothing written."""

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from approvals.models import Filing
from approvals.services import imports
from approvals.tests.sheets import csv_file
from registry import office_forms
from registry.models import Account, ColumnMapping, Department, Staff
from registry.tests.factories import DepartmentFactory
from registry.tests.test_sheets import _docx, _patched


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import(user, data, *, dry_run=False, department=None, options=None):
    return imports.sheet_import(
        user=user,
        kind="accounts",
        data=data,
        file_name="表.xlsx",
        dry_run=dry_run,
        department=department,
        options=options,
    )


def _snapshot():
    return (
        list(Account.objects.order_by("pk").values_list()),
        list(Filing.objects.order_by("pk").values_list("account_id", "state")),
        list(ColumnMapping.objects.values_list()),
    )


def _problems(report):
    return [(p.sheet, p.row, p.column, p.message) for p in report.problems]


@pytest.fixture
def accounting(filer):
    """A second department the filer files for: the title block says which one a sheet is."""
    department = DepartmentFactory(name="会计学院", code="KJ")
    department.filers.add(filer)
    return department


QQ_SHEET = [
    ["QQ工作群登记表"],
    ["填报单位（盖章）：会计学院"],
    ["序号", "QQ群名称", "QQ群号", "群主", "管理员", "群人数", "建群时间", "建群目的"],
    [1, "会计学院教职工群", 612345001, "张伟", "李娜", 85, "2019-09-01", "布置日常工作"],
    [2, "江财职院会计学院通知群", 612345002, "张伟", "王芳", 120, "2020-03-01", "发布通知"],
]


def test_it_imports_a_qq_sheet_with_inferences_shown(filer, accounting):
    data = _workbook({"Sheet1": QQ_SHEET})
    dry = _import(filer, data, dry_run=True)
    assert dry.ok, dry.problems
    assert _snapshot()[0] == []
    shown = {row.row: dict(row.values) for row in dry.inferred}
    assert shown[4] == {
        "平台": "QQ群",
        "所属单位": "会计学院",
        "命名层级": "以部门名义",
        "类别": "工作群",
    }
    assert shown[5]["命名层级"] == "以学校名义"  # the school's short name is in the name
    report = _import(filer, data)
    assert report.ok and len(report.new) == 2
    account = Account.objects.get(number="612345001")
    assert (account.platform, account.department, account.owner_name) == (
        Account.Platform.QQ_GROUP,
        accounting,
        "张伟",
    )
    assert (account.administrator_name, account.member_count) == ("李娜", 85)
    assert (account.naming_level, account.category) == ("department", "work_group")
    before = _snapshot()
    again = _import(filer, data)
    assert again.ok and (again.new, again.changed, again.unchanged) == ([], [], 2)
    assert _snapshot() == before


def test_it_imports_a_wechat_check_sheet_saved_as_gbk_csv(filer, department):
    rows = [
        ["微信群名称", "建立者", "管理者", "联系电话", "微信群用途对象", "是否涉及意识形态内容"],
        ["测试学院教职工微信群", "赵强", "钱敏", "13800138000", "本院教职工", "否"],
    ]
    data = csv_file(rows, encoding="gbk")
    report = _import(filer, data)
    assert report.ok, report.problems
    account = Account.objects.get()
    assert (account.platform, account.department, account.owner_name) == (
        Account.Platform.WECHAT_GROUP,
        department,
        "赵强",
    )
    assert (account.administrator_name, account.purpose) == ("钱敏", "本院教职工")
    ignored = {c.heading: c.note for c in report.columns if not c.field}
    assert ignored == {"是否涉及意识形态内容": str(office_forms.NOT_KEPT)}
    assert _import(filer, data).unchanged == 1


def test_it_imports_public_accounts_from_a_word_table(filer, accounting):
    data = _docx(
        "会计学院政务新媒体账号登记表",
        "填报单位（盖章）：会计学院",
        [
            [
                "账号名称",
                "平台名称",
                "原始ID",
                "服务主体",
                "主管单位",
                "责任人",
                "运维人员",
                "开设时间",
                "粉丝量",
            ],
            [
                "会计之声",
                "微信公众号",
                "gh_0123456789ab",
                "会计学院",
                "宣传统战处",
                "张伟",
                "李娜",
                "2018-05-01",
                "1.2万",
            ],
            [
                "会计学院抖音号",
                "抖音",
                "kj_douyin",
                "会计学院",
                "宣传统战处",
                "张伟",
                "李娜",
                "2021-01-01",
                "800",
            ],
            [
                "会计学院校园网号",
                "其他（今日校园）",
                "kj-campus",
                "会计学院",
                "宣传统战处",
                "张伟",
                "",
                "",
                "",
            ],
            [
                "会计学院头条",
                "今日头条",
                "kj_toutiao",
                "会计学院",
                "宣传统战处",
                "张伟",
                "",
                "",
                "",
            ],
        ],
        "填表人：张伟",
    )
    report = _import(filer, data)
    assert report.ok, report.problems
    found = {a.name: a for a in Account.objects.all()}
    official = found["会计之声"]
    assert (official.platform, official.owner_name, official.administrator_name) == (
        Account.Platform.WECHAT_OFFICIAL,
        "张伟",
        "李娜",
    )
    assert (official.member_count, official.category, official.department) == (
        12000,
        Account.Category.PUBLISHING,
        accounting,
    )
    other = found["会计学院校园网号"]
    assert (other.platform, other.platform_name) == (Account.Platform.OTHER, "今日校园")
    assert found["会计学院头条"].platform == Account.Platform.TOUTIAO
    # 服务主体 names the department; 主管单位 (the supervising office) is listed, not used.
    notes = {c.heading: c.note for c in report.columns if not c.field}
    assert "主管单位" in notes and "服务主体" in notes["主管单位"]
    assert _import(filer, data).unchanged == 4


def test_it_reads_a_workbook_with_a_sheet_per_platform(filer, department):
    data = _workbook(
        {
            "微信群": [["群聊名称", "群主"], ["测试学院家长群", "张伟"]],
            "QQ群": [["群名称", "群号码", "群主"], ["测试学院QQ群", "612345001", "张伟"]],
            "公众号": [
                ["账号名称", "账号", "负责人"],
                ["测试学院公众号", "gh_abcdef012345", "张伟"],
            ],
            "填表说明": [["请如实填写"]],
        }
    )
    report = _import(filer, data)
    assert report.ok, report.problems
    platforms = dict(Account.objects.values_list("name", "platform"))
    assert platforms == {
        "测试学院家长群": "wechat_group",
        "测试学院QQ群": "qq_group",
        "测试学院公众号": "wechat_official",
    }
    assert str(office_forms.SKIPPED_SHEET % {"sheet": "填表说明"}) in report.notes
    before = _snapshot()
    again = _import(filer, data)
    assert again.ok and (again.new, again.changed, again.unchanged) == ([], [], 3)
    assert _snapshot() == before


def test_it_names_the_sheet_row_and_column_of_an_error(filer, department):
    data = _workbook(
        {
            "微信群": [["群聊名称", "群主"], ["测试学院家长群", "张伟"]],
            "QQ群": [
                ["群名称", "群号码", "群主", "建群时间"],
                ["测试学院QQ群", "6123", "张伟", "昨天"],
            ],
        }
    )
    before = _snapshot()
    report = _import(filer, data)
    [(sheet, row, column, _message)] = _problems(report)
    assert (sheet, row, column) == ("QQ群", 2, "建立时间")
    assert _snapshot() == before


def test_it_lets_the_user_set_the_naming_level_and_category_for_the_file(filer, department):
    data = _workbook({"QQ群": [["QQ群名称", "群主"], ["测试学院聊天群", "张伟"]]})
    options = {"naming_level": "work", "category": "chat_group"}
    report = _import(filer, data, options=options)
    assert report.ok
    account = Account.objects.get()
    assert (account.naming_level, account.category) == ("work", "chat_group")
    assert dict(report.inferred[0].values)["类别"] == "聊天群"


def test_it_never_lets_an_inferred_value_overwrite_the_register(filer, department):
    data = _workbook(
        {"QQ群": [["QQ群名称", "QQ群号", "群主"], ["测试学院群", "612345001", "张伟"]]}
    )
    assert _import(filer, data).ok
    Account.objects.update(naming_level="work")  # changed on the site since
    again = _import(filer, data)
    assert again.ok and again.unchanged == 1
    assert Account.objects.get().naming_level == "work"


def test_it_records_the_acknowledgement_of_the_content_rules(filer, department):
    data = _workbook(
        {"QQ群": [["QQ群名称", "QQ群号", "群主"], ["测试学院群", "612345001", "张伟"]]}
    )
    report = _import(filer, data, options={"rules_acknowledged": True})
    assert report.ok
    account = Account.objects.get()
    assert account.rules_acknowledged and account.rules_acknowledged_by == filer
    assert account.rules_acknowledged_at is not None


def test_it_reads_an_acknowledgement_column(filer, department):
    data = _workbook({"QQ群": [["QQ群名称", "群主", "是否知悉"], ["测试学院群", "张伟", "是"]]})
    assert _import(filer, data).ok
    assert Account.objects.get().rules_acknowledged_by == filer


def test_it_remembers_a_column_mapping_for_the_department(filer, department):
    data = _workbook({"QQ群": [["QQ群名称", "群主", "群负责老师"], ["测试学院群", "张伟", "李娜"]]})
    dry = _import(filer, data, dry_run=True)
    [unknown] = dry.unknown
    assert unknown.heading == "群负责老师"
    imports.import_mapping_save(
        department=department, unknown=dry.unknown, choices={unknown.key: "administrator_name"}
    )
    assert _import(filer, data).ok
    assert Account.objects.get().administrator_name == "李娜"


# Bad input: a clear message, and nothing written.


def test_it_refuses_a_sheet_with_a_title_but_no_header(filer, department):
    data = _workbook(
        {
            "QQ群": [["QQ群名称", "群主"], ["测试学院群", "张伟"]],
            "微信群": [["微信群登记表"], ["测试学院家长群", "张伟"]],
        }
    )
    before = _snapshot()
    report = _import(filer, data)
    assert _problems(report) == [
        ("", None, "", str(office_forms.NO_HEADER_IN_SHEET % {"sheet": "微信群"}))
    ]
    assert _snapshot() == before


def test_it_says_which_of_two_name_headings_it_uses(filer, department):
    data = _workbook(
        {"Sheet1": [["名称", "微信群名称", "群主"], ["旧称", "测试学院家长群", "张伟"]]}
    )
    report = _import(filer, data, dry_run=True)
    assert report.ok
    message = office_forms.BOTH_READ_AS % {"used": "微信群名称", "other": "名称", "field": "名称"}
    assert str(message) in report.notes
    assert report.new[0][1] == "测试学院家长群"


def test_it_refuses_a_word_document_without_a_table(filer, department):
    before = _snapshot()
    report = _import(filer, _docx("QQ工作群登记表", "本部门无工作群"))
    from registry.sheets import NO_TABLE

    assert _problems(report) == [("", None, "", str(NO_TABLE))]
    assert _snapshot() == before


@pytest.mark.parametrize("bomb", ["zip", "xml"])
def test_it_refuses_a_docx_bomb_and_writes_nothing(filer, department, settings, bomb):
    from registry.sheets import TOO_BIG_UNPACKED, UNSAFE_XML

    document = _docx([["QQ群名称", "群主"], ["测试学院群", "张伟"]])
    if bomb == "zip":
        settings.NEWMEDIA_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
        data = _patched(document, "word/media/padding.bin", b"\x00" * (20 * 1024 * 1024))
        message = TOO_BIG_UNPACKED % {"limit": filesizeformat(1024 * 1024)}
    else:
        entity = b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
        original = zipfile.ZipFile(io.BytesIO(document)).read("word/document.xml")
        data = _patched(document, "word/document.xml", original.replace(b"?>", b"?>" + entity, 1))
        message = UNSAFE_XML
    before = _snapshot()
    report = _import(filer, data)
    assert _problems(report) == [("", None, "", str(message))]
    assert _snapshot() == before


def test_it_refuses_a_mapping_of_two_columns_to_one_field(filer, department):
    data = _workbook({"QQ群": [["QQ群名称", "群主", "甲", "乙"], ["测试学院群", "张伟", "1", "2"]]})
    dry = _import(filer, data, dry_run=True)
    keys = {c.heading: c.key for c in dry.unknown}
    before = _snapshot()
    with pytest.raises(ValidationError) as refused:
        imports.import_mapping_save(
            department=department,
            unknown=dry.unknown,
            choices={keys["甲"]: "remarks", keys["乙"]: "remarks"},
        )
    message = imports.MAPPED_TWICE % {"first": "甲", "second": "乙", "field": "备注"}
    assert refused.value.messages == [str(message)]
    assert _snapshot() == before


def test_it_lists_the_known_platforms_for_an_unknown_one(filer, department):
    data = _workbook(
        {"Sheet1": [["账号名称", "平台名称", "负责人"], ["测试学院号", "飞书", "张伟"]]}
    )
    report = _import(filer, data)
    [(_sheet, row, column, message)] = _problems(report)
    assert (row, column) == (2, "平台") and "今日头条" in message and "飞书" in message
    assert _snapshot() == ([], [], [])


def test_it_refuses_a_title_block_naming_a_department_the_user_does_not_file_for(filer, department):
    Department.objects.create(name="财务处", code="CW", kind="office")
    rows = [
        ["QQ工作群登记表"],
        ["填报单位（盖章）：财务处"],
        ["QQ群名称", "群主"],
        ["财务群", "张伟"],
    ]
    before = _snapshot()
    report = _import(filer, _workbook({"Sheet1": rows}))
    message = imports.TITLE_DEPARTMENT_NOT_YOURS % {"sheet": "Sheet1", "department": "财务处"}
    assert _problems(report) == [("", None, "", str(message))]
    assert _snapshot() == before


def test_it_checks_administrators_are_staff(filer, department):
    """The administrator read from a file is what the R5 staff check looks at."""
    from cleanup.rules import BY_CODE, Context

    Staff.objects.create(staff_number="1", name="张伟", department=department)
    data = _workbook({"QQ群": [["QQ群名称", "群主", "管理员"], ["测试学院群", "张伟", "学生甲"]]})
    assert _import(filer, data).ok
    import datetime as dt

    hits = BY_CODE["administrator_not_staff"].check(
        Context(accounts=Account.objects.all(), today=dt.date.today())
    )
    assert [h.params for h in hits.values()] == [{"administrator": "学生甲"}]
