"""The laid-out xlsx read back with openpyxl: decided closures stated, every data cell bordered
and wrapped, rows as tall as their text, A4 landscape one page wide, the header repeated,
page numbers in the footer, and page breaks that keep the signature block with the last rows."""

import datetime as dt
import io

import openpyxl
import pytest

from approvals.models import Filing
from approvals.services import exports
from approvals.tests.factories import filing_in
from registry import exports as layout
from registry.exports import FORM_COLUMNS
from registry.models import Account
from registry.tests.factories import AccountFactory

# 处置意见 and 整合至, counted from the row number at 0, as the form's columns stand.
_FIELDS = [column.field for column in FORM_COLUMNS]
DISPOSITION, MERGE_INTO = _FIELDS.index("disposition"), _FIELDS.index("merge_into")


def _sheet(department):
    content = exports.form_xlsx(department=department, mask=False)
    return openpyxl.load_workbook(io.BytesIO(content)).active


def _rows(sheet):
    """The data rows, by the name in column 3, down to the signature block."""
    rows = {}
    for row in sheet.iter_rows(min_row=layout.HEADER_ROW + 1):
        if not isinstance(row[0].value, int):
            break
        rows[row[2].value] = row
    return rows


def test_it_states_the_decided_closure_not_the_proposal(department):
    survivor = AccountFactory(department=department, name="会计学院教职工群", number="123456")
    ordered = filing_in(Filing.State.CLOSING, department=department, name="待解散群")
    closed = filing_in(Filing.State.CLOSED, department=department, name="已解散群")
    merged = filing_in(Filing.State.CLOSING, department=department, name="待整合群")
    Filing.objects.filter(pk=merged.pk).update(
        closure_kind=Account.Disposition.MERGE, closure_merge_into=survivor
    )
    kept = filing_in(Filing.State.REGISTERED, department=department, name="保留群")
    # The filer proposed keeping every one of them.
    assert {f.account.disposition for f in (ordered, closed, merged, kept)} == {"keep"}
    rows = _rows(_sheet(department))
    assert rows["待解散群"][DISPOSITION].value == "解散（关停中）"
    assert rows["已解散群"][DISPOSITION].value == "解散（已关停）"
    assert rows["待整合群"][DISPOSITION].value == "整合（关停中）"
    assert rows["待整合群"][MERGE_INTO].value == "会计学院教职工群（123456）"
    assert rows["保留群"][DISPOSITION].value == "保留"


def test_it_shows_the_proposal_where_nothing_is_decided(department):
    survivor = AccountFactory(department=department, name="主群", number="")
    filing_in(
        Filing.State.DRAFT,
        department=department,
        name="拟整合群",
        disposition=Account.Disposition.MERGE,
        merge_into=survivor,
        disposition_reason="重复",
    )
    row = _rows(_sheet(department))["拟整合群"]
    assert (row[DISPOSITION].value, row[MERGE_INTO].value) == ("整合", "主群")


def test_it_sets_up_the_page_as_the_office_prints_it(department):
    filing_in(Filing.State.REGISTERED, department=department)
    sheet = _sheet(department)
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9)  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)  # one page wide
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_it_borders_and_wraps_every_data_cell(department):
    filing_in(
        Filing.State.REGISTERED,
        department=department,
        member_count=None,
        remarks="",
        created_on=dt.date(2020, 6, 1),
    )
    sheet = _sheet(department)
    width = len(layout.FORM_COLUMNS)
    for row in sheet.iter_rows(min_row=layout.HEADER_ROW, max_row=layout.HEADER_ROW + 1):
        assert len(row) == width
        for cell in row:  # empty cells too: the grid is whole
            sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
            assert all(side.style == "thin" for side in sides), cell.coordinate
            assert cell.alignment.wrap_text, cell.coordinate
    created = sheet.cell(layout.HEADER_ROW + 1, 10)
    assert created.is_date and created.number_format == "yyyy-mm-dd"


def test_it_makes_rows_tall_enough_for_long_text(department):
    filing_in(Filing.State.REGISTERED, department=department, name="短名", purpose="通知")
    filing_in(
        Filing.State.REGISTERED,
        department=department,
        name="会计学院2026年技能大赛集训临时工作群" * 3,  # 60 characters
        purpose="用于发布集训通知和安排" * 18,  # 198 characters: the column holds 200
        number="dingtalk_group-" + "0" * 40,  # no spaces
    )
    sheet = _sheet(department)
    heights = {
        row[2].value: sheet.row_dimensions[row[0].row].height for row in _rows(sheet).values()
    }
    short, long = heights["短名"], heights["会计学院2026年技能大赛集训临时工作群" * 3]
    purpose_lines = layout._units("用于发布集训通知和安排" * 18) / (22 - 1.5)
    assert long >= purpose_lines * layout.LINE_POINTS > 8 * short


@pytest.mark.parametrize("count", [300])
def test_it_paginates_a_large_department_with_whole_rows(department, count):
    from approvals.tests.factories import bulk_accounts

    bulk_accounts(department, count)
    sheet = _sheet(department)
    breaks = [brk.id for brk in sheet.row_breaks.brk]
    assert len(breaks) >= 5  # 300 rows take several pages, each under the repeated header
    first, last = layout.HEADER_ROW + 1, layout.HEADER_ROW + count
    assert all(first <= row < last for row in breaks)
    # Each page holds what fits on it, by the rows' own heights.
    scale = min(1, layout.PAGE_WIDTH / sum(layout._points(c.width) for c in layout.FORM_COLUMNS))
    room = layout.PAGE_HEIGHT / scale
    header = sheet.row_dimensions[layout.HEADER_ROW].height
    starts = [first, *(row + 1 for row in breaks)]
    ends = [*breaks, last]
    for start, end in zip(starts, ends, strict=True):
        height = sum(sheet.row_dimensions[row].height for row in range(start, end + 1))
        assert header + height <= room


def test_it_keeps_the_signature_block_with_the_last_rows():
    widths = [column.width for column in layout.FORM_COLUMNS]
    # Rows that fill the first page all but exactly: the signature block does not fit below.
    room = (
        layout.PAGE_HEIGHT
        * layout.PAGE_SLACK
        / min(1, layout.PAGE_WIDTH / sum(layout._points(w) for w in widths))
    )
    heights = [20.0] * int((room - 66 - 20) // 20)
    breaks = layout.page_breaks(widths=widths, title_height=66, header_height=20, heights=heights)
    assert breaks == [len(heights) - 1 - layout.KEEP_WITH_SIGNATURE]
    # With room to spare, no break at all.
    one_row = layout.page_breaks(widths=widths, title_height=66, header_height=20, heights=[20.0])
    assert one_row == []


def test_it_names_the_registers_scope(department, reviewer):
    filing_in(Filing.State.DRAFT, department=department)
    content = exports.register_export(user=reviewer, file_format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet["A3"].value == "范围：全校"
    content = exports.register_export(
        user=reviewer, file_format="xlsx", state=Filing.State.DRAFT, department=department
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet["A3"].value == f"范围：{department.name}，草稿"
