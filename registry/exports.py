"""The registration form out: as an xlsx laid out like the paper form, and as plain rows (CSV,
the school-wide register), every text cell neutralised against formula injection.

The workbook is written in openpyxl's write-only mode (rows streamed, constant memory): title
and campaign merged across the table, the department with room for its seal, the columns in the
form's order with row numbers, the filled-in-by / phone / date lines, a box for the seal and the
head's signature, the print area, A4 landscape fitted to the page width, the header repeated on
every printed page and frozen on screen.
"""

import datetime as dt
import io
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
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
FORM_COLUMNS = (SEQ, *FORM.columns)
HEADER_ROW = 4  # title, campaign, department, then the header
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center")
_BOTTOM_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


def account_values(account: Account, *, mask: bool) -> list:
    """One account's cells in the form's order (after the row number), as a reader sees them:
    labels for choices, 是/否, dates as dates, the survivor of a merge by its number or name."""
    survivor = account.merge_into
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
        account.get_disposition_display(),
        (survivor.number or survivor.name) if survivor else "",
        account.disposition_reason,
        account.remarks,
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
    """The laid-out xlsx of these accounts (already fetched with their department and survivor)."""
    columns = [*FORM_COLUMNS, *(column for column, _value in extra)]
    width = len(columns)
    last = get_column_letter(width)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(_("Registration form"))[:31])
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"  # the header and the row number and department
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4

    bold = Font(bold=True)
    title_style = (Font(bold=True, size=16), _CENTRE, None)
    sheet.append([_text_cell(sheet, title, title_style)])
    sheet.append([_text_cell(sheet, campaign_line, (Font(size=11), _CENTRE, None))])
    sheet.append([_text_cell(sheet, department_line, (bold, _LEFT, None))])
    for row in range(1, HEADER_ROW):
        sheet.merged_cells.add(f"A{row}:{last}{row}")
    header_style = (bold, _CENTRE, _BOX)
    header = []
    for column in columns:
        cell = _text_cell(sheet, str(column.label), header_style)
        cell.fill = _HEADER_FILL
        header.append(cell)
    sheet.append(header)

    count = 0
    for count, account in enumerate(accounts, 1):
        values = [count, *account_values(account, mask=mask)]
        values += [value(account) for _column, value in extra]
        sheet.append(_safe(sheet, values))
    end = HEADER_ROW + count

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
