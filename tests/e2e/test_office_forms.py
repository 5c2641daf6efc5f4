"""A filer who files for two departments imports the office's own workbook (a QQ sheet under its
title block, a WeChat sheet, a public-account sheet, none with a platform column): the dry run
shows every inferred value, the filer assigns an unknown heading and confirms with the
content-rules acknowledgement. Its screenshot is the guide's (docs/screenshots/import-dry-run.png).
"""

import io

import openpyxl
import pytest

from approvals.models import Filing
from registry.models import Account, ColumnMapping

from .conftest import new_department
from .test_story import _file, _go

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the groups made by migrations are back for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    qq = book.active
    qq.title = "QQ群"
    for row in (
        ["QQ工作群登记表"],
        ["填报单位（盖章）：后勤处"],
        [
            "序号",
            "QQ群名称",
            "QQ群号",
            "群主",
            "管理员",
            "群人数",
            "建群时间",
            "建群目的",
            "群备注",
        ],
        [1, "后勤处教职工群", 700100001, "周建华", "吴海燕", 48, "2019-09-01", "布置工作", "常用"],
        [2, "江财职院后勤服务群", 700100002, "周建华", "孙志强", 320, "2020-03-01", "报修", ""],
    ):
        qq.append(row)
    wechat = book.create_sheet("微信群")
    wechat.append(["微信群名称", "建立者", "管理者", "微信群用途对象", "是否涉及意识形态内容"])
    wechat.append(["后勤处值班群", "吴海燕", "孙志强", "值班人员", "否"])
    public = book.create_sheet("公众号")
    public.append(["账号名称", "原始ID", "服务主体", "责任人", "运维人员", "开设时间", "粉丝量"])
    public.append(
        ["后勤服务", "gh_hq0123456789", "后勤处", "周建华", "吴海燕", "2018-05-01", "1.2万"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_it_imports_an_offices_own_workbook_with_its_inferences_shown(login, shots):
    logistics = new_department(
        code="HQ",
        name="后勤处",
        staff=[("周建华", True), ("吴海燕", True), ("孙志强", True)],
        filer="filer_hq",
    )
    second = new_department(code="BWC", name="保卫处", staff=[], filer="filer_bwc")
    second.filers.add(logistics.filers.get())
    filer = login("filer_hq")
    _go(filer, "nav a[href='/form/']")
    # The WeChat sheet has no title block: the department chosen is the one of its rows.
    filer.select_option("#id_department", str(logistics.pk))
    filer.set_input_files(
        "#id_file", _file("后勤处新媒体.xlsx", "application/octet-stream", _workbook())
    )
    _go(filer, "form[action$='/form/import/'] button[type=submit]")
    inferred = filer.locator("#import-inferred")
    assert inferred.count() == 1
    text = inferred.inner_text()
    assert "QQ群" in text and "后勤处" in text and "以学校名义" in text and "微信公众号" in text
    assert "群备注" in filer.locator("#import-columns").inner_text()
    # The unknown heading goes to the remarks.
    filer.locator("#import-options select").last.select_option("remarks")
    _go(filer, "#import-options button[type=submit]")
    shots.take(filer, "import-dry-run")
    filer.check("#rules-acknowledged")
    _go(filer, "#import-confirm button[type=submit]")
    assert filer.locator(".alert-success").count() == 1
    accounts = {a.name: a for a in Account.objects.filter(department=logistics)}
    assert accounts["后勤处教职工群"].remarks == "常用"
    assert accounts["后勤处教职工群"].administrator_name == "吴海燕"
    assert accounts["江财职院后勤服务群"].naming_level == "school"
    assert accounts["后勤服务"].platform == "wechat_official"
    assert all(a.rules_acknowledged_by is not None for a in accounts.values())
    assert Filing.objects.filter(account__department=logistics, state="draft").count() == 4
    assert ColumnMapping.objects.filter(department=logistics, field="remarks").exists()
