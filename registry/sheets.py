"""Spreadsheets in and out, safely: what an uploaded file holds, and cells that cannot run.

Reading: the file's content decides its kind, never its name. xlsx, xlsb and ods (zip), xls
(OLE2), Word's docx (zip: each table, with the paragraphs above it as its title block) and CSV
(UTF-8 with or without BOM, UTF-16 as Excel's "Unicode text", and GBK/GB18030 as Excel in China
saves it); every visible worksheet of a workbook. Zip containers (docx too) are unpacked once
with a cap on the unpacked size (a zip bomb stops there), their XML is refused if it declares a
DTD (the only way to an XML bomb or an external entity: a real workbook or document never has
one), and small parts go through defusedxml. The cells are then read by python-calamine (Rust:
about ten times faster than openpyxl, and it reads the .xls, .xlsb and .ods that WPS users
send), a Word table by python-docx. Limits are settings (``NEWMEDIA_IMPORT_*``).

Writing: ``neutralise`` applies OWASP ASVS 1.2.10 to one cell, for CSV and for xlsx.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
import python_calamine
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

EMPTY_FILE = _("The file is empty.")
TOO_LARGE = _("The file is %(size)s; the largest spreadsheet accepted is %(limit)s.")
NOT_A_SPREADSHEET = _(
    "The file is not a spreadsheet: upload the form as xlsx, xls or CSV (its content was "
    "checked, not its name)."
)
PASSWORD_PROTECTED = _(
    "The file is protected with a password: open it in Excel or WPS, remove the password, save "
    "it and upload it again."
)
UNREADABLE = _("The spreadsheet cannot be read: it is damaged or not in a known format.")
TOO_BIG_UNPACKED = _(
    "The spreadsheet unpacks to more than %(limit)s: it is not an ordinary form and was refused."
)
UNSAFE_XML = _("The spreadsheet contains XML declarations that a workbook never has: refused.")
OLD_WORD = _(
    "The file is an old Word or WPS document (.doc or .wps), which cannot be read: open it in "
    "Word or WPS, save it as .docx (or copy the table into a spreadsheet and save it as .xlsx), "
    "and upload it again."
)
NO_TABLE = _("The Word document holds no table: the form must be a table in the document.")
DOCX_TABLE_NAME = _("Table %(number)s")
UNCALCULATED_FORMULAE = _(
    "The spreadsheet has formulas that were never calculated, so their values are unknown: open "
    "it in Excel or WPS, save it, and upload it again (or paste the values instead)."
)
UNKNOWN_ENCODING = _(
    "The CSV file's text encoding is not recognised: save it as “CSV UTF-8” or as CSV from "
    "Excel or WPS."
)
TOO_MANY_ROWS = _("The file has more than %(limit)s rows; split it into smaller files.")

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted (password-protected) xlsx is an OLE2 file holding this stream (UTF-16 name).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# A workbook's stream in an OLE2 file (Excel 97-2003: Workbook; Excel 5: Book); without one the
# file is a Word or WPS document (.doc, .wps: WordDocument) or some other Office file.
_WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))
# Other kinds people upload by mistake, refused before any parsing.
_NOT_SHEETS = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_CELL_WITH_FORMULA = re.compile(rb"<c\b[^>]*>(?:(?!</c>).)*?<f[ >/](?:(?!</c>).)*?</c>", re.DOTALL)
_VALUE = re.compile(rb"<v>[^<]")
_CHUNK = 1 << 20
# Rows above the header (title block) and below the data (signature block) that a form may have.
_MARGIN_ROWS = 50


def refuse(message, code: str, **params) -> ValidationError:
    """The error that refuses a whole file, with its translated message."""
    return ValidationError(message, code=code, params=params or None)


@dataclass
class Sheet:
    """The cells of one worksheet (or one Word table under its title block), row by row from row
    1 (blank rows kept, so that a row's index + 1 is its number in the spreadsheet)."""

    rows: list[list]
    kind: str  # xlsx, xls, xlsb, ods, docx or csv
    name: str = ""  # the worksheet's name, or "Table 2" in a Word document; none for CSV


def read_sheet(data: bytes, *, max_rows: int | None = None) -> Sheet:
    """Read the first worksheet of an uploaded file, or raise a ``ValidationError`` saying why
    the file is refused."""
    return read_book(data, max_rows=max_rows)[0]


def read_book(data: bytes, *, max_rows: int | None = None) -> list[Sheet]:
    """Read every visible worksheet of an uploaded file (every table of a Word document), or
    raise a ``ValidationError`` saying why the file is refused."""
    max_rows = max_rows or settings.NEWMEDIA_IMPORT_MAX_ROWS
    if not data:
        raise refuse(EMPTY_FILE, "empty")
    limit = settings.NEWMEDIA_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise refuse(
            TOO_LARGE, "too_large", size=filesizeformat(len(data)), limit=filesizeformat(limit)
        )
    if data.startswith(_NOT_SHEETS):
        raise refuse(NOT_A_SPREADSHEET, "not_a_spreadsheet")
    cap = max_rows + 2 * _MARGIN_ROWS
    if data.startswith(_ZIP):
        kind, formulae = _check_zip(data)
        if kind == "docx":
            sheets = _docx_tables(data)
        else:
            sheets = [Sheet(rows, kind, name) for name, rows in _calamine_sheets(data, cap)]
        if formulae and _has_uncalculated(data):
            raise refuse(UNCALCULATED_FORMULAE, "formulae")
    elif data.startswith(_OLE2):
        if _ENCRYPTED_PACKAGE in data:
            raise refuse(PASSWORD_PROTECTED, "password")
        if not any(stream in data for stream in _WORKBOOK_STREAMS):
            raise refuse(OLD_WORD, "old_word")
        sheets = [Sheet(rows, "xls", name) for name, rows in _calamine_sheets(data, cap)]
    else:
        sheets = [Sheet(_csv_rows(data, cap), "csv")]
    # The cap is on the whole file: a workbook of many sheets is no way around it.
    if sum(len(sheet.rows) for sheet in sheets) > cap:
        raise refuse(TOO_MANY_ROWS, "too_many_rows", limit=max_rows)
    return sheets


def _check_zip(data: bytes) -> tuple[str, bool]:
    """Unpack every member once, counting: refuse bombs and DTDs; say which kind of workbook it
    is and whether any sheet holds a formula."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        raise refuse(NOT_A_SPREADSHEET, "not_a_spreadsheet") from None
    if "xl/workbook.xml" in names:
        kind = "xlsx"
    elif "xl/workbook.bin" in names:
        kind = "xlsb"
    elif "content.xml" in names and "mimetype" in names:
        kind = "ods"
    elif "word/document.xml" in names:
        kind = "docx"
    else:  # a plain zip of anything
        raise refuse(NOT_A_SPREADSHEET, "not_a_spreadsheet")
    budget = settings.NEWMEDIA_IMPORT_MAX_UNPACKED_BYTES
    unpacked = 0
    formulae = False
    try:
        for info in archive.infolist():
            head = tail = b""
            with archive.open(info) as member:
                # Counted as it is inflated: a member's declared size may lie.
                while chunk := member.read(_CHUNK):
                    unpacked += len(chunk)
                    if unpacked > budget:
                        raise refuse(TOO_BIG_UNPACKED, "zip_bomb", limit=filesizeformat(budget))
                    if len(head) < 4096:
                        head += chunk[:4096]
                    if info.filename.startswith("xl/worksheets/") and not formulae:
                        seen = tail + chunk  # a tag may straddle two chunks
                        formulae = b"<f>" in seen or b"<f " in seen
                        tail = chunk[-3:]
            if info.filename.endswith((".xml", ".rels")) and _DTD.search(head):
                raise refuse(UNSAFE_XML, "xml_bomb")
        for part in ("[Content_Types].xml", "xl/workbook.xml", "content.xml", "word/document.xml"):
            if part in names and archive.getinfo(part).file_size < 1 << 20:
                SafeET.fromstring(archive.read(part))
    except ValidationError:
        raise
    except DefusedXmlException:
        raise refuse(UNSAFE_XML, "xml_bomb") from None
    except RuntimeError:  # zipfile: an encrypted member
        raise refuse(PASSWORD_PROTECTED, "password") from None
    except (zipfile.BadZipFile, OSError, EOFError, SafeET.ParseError):
        raise refuse(UNREADABLE, "unreadable") from None
    return kind, formulae


def _has_uncalculated(data: bytes) -> bool:
    """Whether a sheet has a formula cell without a cached value (a file no spreadsheet program
    ever calculated): calamine reads such a cell as empty, which would lose data silently."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                for cell in _CELL_WITH_FORMULA.finditer(archive.read(name)):
                    if not _VALUE.search(cell.group(0)):  # none, or an empty <v></v>
                        return True
    return False


def _calamine_sheets(data: bytes, cap: int) -> list[tuple[str, list[list]]]:
    """(name, rows) of every visible worksheet, in the workbook's order."""
    sheets = []
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [
            (index, meta.name)
            for index, meta in enumerate(workbook.sheets_metadata)
            if meta.visible == python_calamine.SheetVisibleEnum.Visible
            and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not visible:
            raise refuse(EMPTY_FILE, "empty")
        for index, name in visible:
            sheet = workbook.get_sheet_by_index(index)
            rows = sheet.to_python(skip_empty_area=False, nrows=cap + 1)
            _fill_merged_down(rows, sheet.merged_cell_ranges or [])
            sheets.append((name, rows))
            cap -= len(rows)
            if cap < 0:
                break  # too many rows in all: read_book refuses the file
    except ValidationError:
        raise
    except python_calamine.PasswordError:
        raise refuse(PASSWORD_PROTECTED, "password") from None
    except Exception:  # CalamineError and friends: the Rust reader's many ways to say "no"
        raise refuse(UNREADABLE, "unreadable") from None
    return sheets


def _docx_tables(data: bytes) -> list[Sheet]:
    """Each table of a Word document (checked by ``_check_zip`` first) as a sheet: the non-blank
    paragraphs since the previous table (its title block, one cell each), then its rows. A cell
    merged across or down reads as its text in every place it covers (python-docx does that)."""
    # Imported here: only a Word upload pays for loading python-docx.
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        sheets, title = [], []
        for block in document.iter_inner_content():
            if not isinstance(block, Table):
                if text := block.text.strip():
                    title.append([text])
                continue
            rows = [[cell.text.strip() for cell in row.cells] for row in block.rows]
            name = str(DOCX_TABLE_NAME % {"number": len(sheets) + 1})
            sheets.append(Sheet(title + rows, "docx", name))
            title = []
    except Exception:  # python-docx and lxml: a damaged part
        raise refuse(UNREADABLE, "unreadable") from None
    if not sheets:
        raise refuse(NO_TABLE, "no_table")
    return sheets


def _fill_merged_down(rows: list[list], merged) -> None:
    """A cell merged down a column (one department over several rows) holds its value in every
    row, as the eye reads it; merges across columns (titles) are left alone."""
    for (top, left), (bottom, right) in merged:
        if left != right or bottom <= top or top >= len(rows):
            continue
        value = rows[top][left] if left < len(rows[top]) else ""
        for row in rows[top + 1 : bottom + 1]:
            if left < len(row) and row[left] in ("", None):
                row[left] = value


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if b"\x00" in data[:4096]:  # binary, whatever else it is
        raise refuse(NOT_A_SPREADSHEET, "not_a_spreadsheet")
    for encoding in ("utf-8", "gb18030"):  # GB18030 is the superset of GBK that Excel writes
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refuse(UNKNOWN_ENCODING, "encoding")


def _csv_rows(data: bytes, cap: int) -> list[list]:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise refuse(UNKNOWN_ENCODING, "encoding") from None
    if text.lstrip().startswith("<"):  # HTML or XML saved under a spreadsheet's name
        raise refuse(NOT_A_SPREADSHEET, "not_a_spreadsheet")
    sample = text[:8192]
    delimiter = max(",\t;", key=sample.count) if sample else ","
    rows = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row)
            if len(rows) > cap:
                break
    except csv.Error:
        raise refuse(NOT_A_SPREADSHEET, "not_a_spreadsheet") from None
    return rows


# ------------------------------------------------------------------------------------------------
# Header text and cell values
# ------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s*]+")
_TRAILING_NOTE = re.compile(r"\(.*\)$")


def header_key(value) -> str:
    """A header cell as compared with the known names: full-width forms folded (NFKC), spaces,
    line breaks and required-column stars removed, case folded."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(value or ""))).casefold()


def header_keys(value) -> list[str]:
    """The keys a header cell may match: itself, then without a trailing note in brackets
    (“联系电话（手机）”)."""
    key = header_key(value)
    bare = _TRAILING_NOTE.sub("", key)
    return [key, bare] if bare and bare != key else [key]


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ------------------------------------------------------------------------------------------------
# Writing: cells that cannot run (OWASP ASVS 1.2.10)
# ------------------------------------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """A text cell a spreadsheet program would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def unneutralise(text: str) -> str:
    """A cell read back: the apostrophe a CSV export put before text that would run is not
    part of the value."""
    return text[1:] if text[:1] == "'" and is_formula_like(text[1:]) else text


def neutralise_csv(value):
    """A CSV cell: text that would run gets a leading apostrophe; numbers, dates and empty cells
    keep their type."""
    return "'" + value if is_formula_like(value) else value


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """Rows as CSV in UTF-8 with a BOM (Excel in China opens it without mojibake), formulae
    neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else neutralise_csv(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
