"""Spreadsheets for tests, made the way offices make them: openpyxl workbooks and CSV files in
UTF-8 with a BOM or in GBK, with the registration form's Chinese headers."""

import csv
import io

import openpyxl

# The form's headers as FORM.md has them (the site writes the same in Chinese).
HEADERS = [
    "序号",
    "所属单位",
    "名称",
    "平台",
    "账号类型",
    "账号或群号",
    "命名层级",
    "类别",
    "用途",
    "建立时间",
    "任务结束日期",
    "负责人",
    "职务",
    "联系电话",
    "内容审核人",
    "成员人数 / 粉丝数",
    "是否实名",
    "最近活跃日期",
    "处置意见",
    "整合至",
    "处置理由",
    "备注",
]


def form_row(department, n: int = 1, **overrides) -> dict:
    """One complete row of the form, by header."""
    row = {
        "序号": n,
        "所属单位": department.name,
        "名称": f"会计学院教职工工作群{n}",
        "平台": "QQ群",
        "账号类型": "",
        "账号或群号": str(612345000 + n),
        "命名层级": "以部门名义",
        "类别": "工作群",
        "用途": "布置日常工作",
        "建立时间": "2024-09-01",
        "任务结束日期": "",
        "负责人": "张伟",
        "职务": "办公室主任",
        "联系电话": "13800138000",
        "内容审核人": "李娜",
        "成员人数 / 粉丝数": 35,
        "是否实名": "是",
        "最近活跃日期": "2026-11-01",
        "处置意见": "保留",
        "整合至": "",
        "处置理由": "",
        "备注": "",
    }
    row.update(overrides)
    return row


def table(rows: list[dict], headers=None) -> list[list]:
    headers = headers or HEADERS
    return [headers, *([row.get(h, "") for h in headers] for row in rows)]


def xlsx(rows: list[list], *, title: str | None = None, footer: bool = False) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        sheet.append(["填报单位（盖章）：", "会计学院"])
    for row in rows:
        sheet.append(row)
    if footer:
        sheet.append([])
        sheet.append(["填表人：张伟", "", "", "联系电话：13800138000"])
        sheet.append(["部门负责人（签字）："])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)
