"""The registration form out: as an xlsx laid out like the paper form, and as plain rows (CSV,
the school-wide register), every text cell neutralised against formula injection.

The workbook is written in openpyxl's write-only mode (rows streamed, constant memory): title
and campaign merged across the table, the department with room for its seal, the columns in the
form's order with row numbers, every cell bordered and wrapped in a row as tall as its text, the
filled-in-by / phone / date lines, a box for the seal and the head's signature, the print area,
A4 landscape fitted to the page width, the header repeated on every printed page and frozen on
screen, page numbers in the footer, and page breaks set so that the signature block is never
alone on a page.
"""

import datetime as dt
import io
import math
import unicodedata
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .layouts import (
    FILLED_IN_BY,
    FILLED_IN_ON,
    FILLED_IN_PHONE,
    FORM,
    HEAD_SIGNATURE,
    SEQ,
    Column,
    survivor_text,
    yes_no,
)
from .models import Account
from .personal_data import mask_phone
from .sheets import csv_bytes, is_formula_like

TITLE = _("%(school)s registration form of QQ groups, WeChat groups, official accounts and others")
REGISTER_TITLE = _("%(school)s register of QQ groups, WeChat groups, official accounts and others")
DEPARTMENT_LINE = _("Department (seal): %(department)s")
CAMPAIGN_LINE = _("Campaign: %(campaign)s")
SEAL_BOX = _("Department seal")
# The footer of every printed page; &P and &N are the spreadsheet's page number and page count.
PAGE_FOOTER = _("Page &P of &N")
FORM_COLUMNS = (SEQ, *FORM.columns)
HEADER_ROW = 4  # title, campaign, department, then the header
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center")
_WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)
_BOTTOM_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


class _StyledCell(Cell):
    """A cell whose style id is given, not looked up: the one cell the data rows reuse."""

    __slots__ = ("style",)

    @property
    def style_id(self):
        return self.style

    @property
    def has_style(self):
        return True


class _DataRow(list):
    """A data row of the form, for ``_DataRows`` to recognise among the rows appended."""


class _DataRows:
    """Writes the rows marked as data through one reused, styled cell; the title, header and
    signature rows go through openpyxl's own path."""

    def __init__(self, sheet, *, text_id: int, date_id: int):
        self.text_id, self.date_id = text_id, date_id
        self.plain = sheet._values_to_row
        sheet._values_to_row = self._values_to_row  # looked up on the sheet for every row
        self.cell = _StyledCell(sheet)

    @staticmethod
    def mark(values: list) -> "_DataRow":
        return _DataRow(values)

    def _values_to_row(self, values, row_index):
        if not isinstance(values, _DataRow):
            yield from self.plain(values, row_index)
            return
        cell = self.cell
        cell.row = row_index
        for column, value in enumerate(values, 1):
            cell.value = value
            if cell.data_type in ("f", "e"):
                cell.data_type = "s"  # shown as the text it is, never run as a formula
            cell.style = self.date_id if cell.data_type == "d" else self.text_id
            cell.column = column
            yield cell


def decided_disposition(account: Account) -> tuple[str, Account | None]:
    """What happens to the account, and the survivor of a merge: the closure ordered or
    requested, with its state, once one is decided; the filer's proposal only before that."""
    # A filing carries a closure kind from the moment a closure is ordered or requested (it is
    # then closing or closed) and never loses it: that decision outranks the proposal.
    filing = getattr(account, "filing", None)
    if filing is not None and filing.closure_kind:
        kind = Account.Disposition(filing.closure_kind).label
        return f"{kind}（{filing.get_state_display()}）", filing.closure_merge_into
    return account.get_disposition_display(), account.merge_into


def account_values(account: Account, *, mask: bool) -> list:
    """One account's cells in the form's order (after the row number), as a reader sees them:
    labels for choices, 是/否, dates as dates, the decided disposition and its survivor."""
    disposition, survivor = decided_disposition(account)
    phone = account.owner_phone
    return [
        account.department.name,
        account.name,
        account.platform_label,
        account.get_account_type_display() if account.account_type else "",
        account.number,
        account.get_naming_level_display(),
        account.get_category_display(),
        account.purpose,
        account.created_on,
        account.task_end_on,
        account.owner_name,
        account.owner_post,
        mask_phone(phone) if mask else phone,
        account.administrator_name,
        account.security_contact_name,
        account.member_count,
        yes_no(account.real_name_admission),
        account.last_active_on,
        disposition,
        survivor_text(survivor),
        account.disposition_reason,
        # A note the caller annotated (form_note: 变更待审) goes before the filer's remarks.
        "；".join(filter(None, [getattr(account, "form_note", ""), account.remarks])),
    ]


def _text_cell(sheet, value, style=None):
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"  # shown as the text it is, never run as a formula
    if style:
        cell.font, cell.alignment, cell.border = style
    return cell


def _safe(sheet, values: list) -> list:
    """Raw values stream fastest; only text a spreadsheet would run needs a cell of its own."""
    return [_text_cell(sheet, v) if is_formula_like(v) else v for v in values]


# ------------------------------------------------------------------------------------------------
# The printed page: how tall each row is, and where the pages break
# ------------------------------------------------------------------------------------------------

LINE_POINTS = 13.5  # one line of 10-point text, with the room CJK fonts take
ROW_PADDING = 3
DATA_FONT = Font(size=10)
HEADER_FONT = Font(size=10, bold=True)
# A4 landscape, in points, inside the margins set below (left, right 0.4 in; top 0.5 in; bottom
# 0.7 in, the footer at 0.3 in).
PAGE_WIDTH = 842 - 2 * 0.4 * 72
PAGE_HEIGHT = 595 - (0.5 + 0.7) * 72
# Spreadsheet programs round widths and fonts their own way: our page is 10% shorter than theirs,
# so that the breaks we set come before any they would add.
PAGE_SLACK = 0.9
SIGNATURE_ROWS = 7  # the blank row, two lines, and the seal box's four
KEEP_WITH_SIGNATURE = 2  # data rows that go over with the signature block rather than leave it


def _units(text: str) -> float:
    """How many character widths a text takes: CJK and full-width characters count two."""
    return sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.05 for ch in text)


def _lines(value, width: float) -> int:
    if value is None or value == "":
        return 1
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    room = max(width - 1.5, 1)  # the cell's padding
    if len(text) * 2.1 <= room and "\n" not in text:
        return 1  # fits on one line however wide its characters are
    # A long word is broken anywhere, a phrase at its spaces: one more line for the ragged edge.
    return sum(max(1, math.ceil(_units(part) / room)) for part in text.split("\n")) + (
        1 if " " in text and _units(text) > room else 0
    )


def row_height(values: list, widths: list[float]) -> float:
    """The height in points that shows every cell of a row whole, wrapped in its column."""
    lines = max((_lines(v, w) for v, w in zip(values, widths, strict=False)), default=1)
    return lines * LINE_POINTS + ROW_PADDING


def _points(width_chars: float) -> float:
    return (width_chars * 7 + 5) * 0.75  # a character is 7 pixels at the default font


def page_breaks(*, widths, title_height, header_height, heights) -> list[int]:
    """The data rows (0-based) after which a page ends, fitted to one page wide, so that every
    page holds whole rows under the repeated header and the signature block is never alone."""
    scale = min(1.0, PAGE_WIDTH / sum(_points(w) for w in widths))
    room = PAGE_HEIGHT * PAGE_SLACK / scale  # in unscaled points
    signature = SIGNATURE_ROWS * 15
    breaks, used = [], title_height + header_height
    for index, height in enumerate(heights):
        if used + height > room and index:
            breaks.append(index - 1)
            used = header_height
        used += height
    if heights and used + signature > room:
        # The signature block would start a page of its own: the last rows go over with it.
        cut = len(heights) - 1 - KEEP_WITH_SIGNATURE
        if cut >= 0 and (not breaks or cut > breaks[-1]):
            breaks.append(cut)
    return breaks


def form_workbook(
    *,
    accounts: Iterable[Account],
    title: str,
    department_line: str,
    campaign_line: str,
    filled_in_by: str = "",
    filled_in_phone: str = "",
    filled_in_on: dt.date | None = None,
    mask: bool = False,
    extra: tuple[tuple[Column, Callable[[Account], object]], ...] = (),
) -> bytes:
    """The laid-out xlsx of these accounts (fetched with their department, filing and survivors)."""
    columns = [*FORM_COLUMNS, *(column for column, _value in extra)]
    widths = [column.width for column in columns]
    width = len(columns)
    last = get_column_letter(width)
    rows = []
    for count, account in enumerate(accounts, 1):
        values = [count, *account_values(account, mask=mask)]
        rows.append(values + [value(account) for _column, value in extra])
    heights = [row_height(values, widths) for values in rows]
    header_labels = [str(column.label) for column in columns]
    header_height = row_height(header_labels, widths)
    title_height = 3 * 22

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(_("Registration form"))[:31])
    for index, column_width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"  # the header and the row number and department
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    margins = sheet.page_margins
    margins.left = margins.right = 0.4
    margins.top, margins.bottom, margins.footer = 0.5, 0.7, 0.3
    sheet.oddFooter.center.text = str(PAGE_FOOTER)
    sheet.oddFooter.center.size = 9
    for row in range(1, HEADER_ROW):
        sheet.row_dimensions[row].height = 22
    sheet.row_dimensions[HEADER_ROW].height = header_height
    for index, height in enumerate(heights):
        sheet.row_dimensions[HEADER_ROW + 1 + index].height = height
    for index in page_breaks(
        widths=widths, title_height=title_height, header_height=header_height, heights=heights
    ):
        sheet.row_breaks.append(Break(id=HEADER_ROW + 1 + index))

    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, title, (Font(bold=True, size=16), _CENTRE, None))])
    sheet.append([_text_cell(sheet, campaign_line, (Font(size=11), _CENTRE, None))])
    sheet.append([_text_cell(sheet, department_line, (bold, _LEFT, None))])
    for row in range(1, HEADER_ROW):
        sheet.merged_cells.add(f"A{row}:{last}{row}")
    header = []
    for label in header_labels:
        cell = _text_cell(sheet, label, (HEADER_FONT, _CENTRE, _BOX))
        cell.fill = _HEADER_FILL
        header.append(cell)
    sheet.append(header)

    # Every data cell has a border and wraps: each cell written with a style id worked out once
    # (text or date), through one reused cell, so the styled rows stream nearly as fast as raw
    # values (a styled cell object per value would cost more than writing it).
    text_id = book._cell_styles.add(_text_cell(sheet, "", (DATA_FONT, _WRAP, _BOX))._style)
    date_id = book._cell_styles.add(
        _text_cell(sheet, dt.date(2000, 1, 1), (DATA_FONT, _WRAP, _BOX))._style
    )
    data_rows = _DataRows(sheet, text_id=text_id, date_id=date_id)
    for values in rows:
        sheet.append(data_rows.mark(values))
    end = HEADER_ROW + len(rows)
    end = HEADER_ROW + len(rows)

    # The signature block: the import stops reading at its first line.
    on = (filled_in_on or dt.date.today()).isoformat()
    third = max(width // 3, 1)
    sheet.append([])
    lines = (
        (f"{FILLED_IN_BY}：{filled_in_by}", f"{FILLED_IN_PHONE}：{filled_in_phone}"),
        (f"{HEAD_SIGNATURE}：", f"{FILLED_IN_ON}：{on}"),
    )
    for left, middle in lines:
        row = [_text_cell(sheet, left, (bold, _LEFT, None))] + [None] * (third - 1)
        row += [_text_cell(sheet, middle, (bold, _LEFT, None))]
        sheet.append(row)
    footer = end + 2
    seal_from = get_column_letter(2 * third + 1)
    seal = _text_cell(sheet, f"{SEAL_BOX}\n\n\n", (bold, _BOTTOM_LEFT, _BOX))
    sheet.append([None] * (2 * third) + [seal])
    for row in range(footer, footer + 2):
        sheet.merged_cells.add(f"A{row}:{get_column_letter(third)}{row}")
        sheet.merged_cells.add(
            f"{get_column_letter(third + 1)}{row}:{get_column_letter(2 * third)}{row}"
        )
    seal_rows = footer + 2, footer + 5
    for _extra in range(3):
        sheet.append([])
    sheet.merged_cells.add(f"{seal_from}{seal_rows[0]}:{last}{seal_rows[1]}")
    sheet.print_area = f"A1:{last}{seal_rows[1]}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def school_title() -> str:
    return TITLE % {"school": settings.NEWMEDIA_SCHOOL_NAME}


def register_rows(
    accounts: Iterable[Account],
    *,
    mask: bool,
    extra: tuple[tuple[Column, Callable[[Account], object]], ...] = (),
):
    """The header and one row per account, in the form's order (for CSV)."""
    yield [str(column.label) for column in (*FORM_COLUMNS, *(c for c, _v in extra))]
    for count, account in enumerate(accounts, 1):
        values = [count, *account_values(account, mask=mask)]
        yield values + [value(account) for _column, value in extra]


def register_csv(accounts, *, mask: bool, extra=()) -> bytes:
    """The rows as CSV in UTF-8 with a BOM, every text cell that would run neutralised."""
    return csv_bytes(register_rows(accounts, mask=mask, extra=extra))


def tables_workbook(sheets: Iterable[tuple[str, list[list]]]) -> bytes:
    """Plain tables as an xlsx, one sheet each (title, rows with the header first): the first
    row bold and frozen, text that would run kept as text."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title=str(title)[:31])
        sheet.freeze_panes = "A2"
        for index, row in enumerate(rows):
            if index == 0:
                header = [_text_cell(sheet, str(value)) for value in row]
                for cell in header:
                    cell.font = bold
                sheet.append(header)
            else:
                sheet.append(_safe(sheet, list(row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
