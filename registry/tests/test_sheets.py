"""The reader refuses what is not an ordinary spreadsheet, with a message, before any row is read;
and exports neutralise formulae (OWASP ASVS 1.2.10) without changing numbers or empty cells."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from registry import sheets
from registry.sheets import csv_bytes, neutralise_csv, read_book, read_sheet


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _refused(data: bytes, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        read_sheet(data, **kwargs)
    return refused.value.messages


def _patched(data: bytes, member: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != member:
                target.writestr(item, source.read(item))
        target.writestr(member, content)
    return buffer.getvalue()


def test_it_refuses_an_empty_file():
    assert _refused(b"") == [str(sheets.EMPTY_FILE)]


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"%PDF-1.4 not a sheet",
        b"\x00\x01\x02binary\x00",
        b"<html><table><tr><td>1</td></tr></table></html>",
    ],
)
def test_it_refuses_what_is_not_a_spreadsheet(data):
    assert _refused(data) == [str(sheets.NOT_A_SPREADSHEET)]


def test_it_refuses_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert _refused(buffer.getvalue()) == [str(sheets.NOT_A_SPREADSHEET)]


def test_it_refuses_a_password_protected_workbook():
    # An encrypted xlsx is an OLE2 compound file holding an "EncryptedPackage" stream.
    data = sheets._OLE2 + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    assert _refused(data) == [str(sheets.PASSWORD_PROTECTED)]


def test_it_refuses_a_file_over_the_size_limit(settings):
    data = b"a,b\n" * (50 * 1024 * 1024 // 4)  # 50 MB
    [message] = _refused(data)
    limit = filesizeformat(settings.NEWMEDIA_IMPORT_MAX_BYTES)
    assert message == str(sheets.TOO_LARGE) % {"size": filesizeformat(len(data)), "limit": limit}


def test_it_refuses_too_many_rows():
    data = "名称,平台\n".encode() + b"x,QQ\n" * 200_000
    [message] = _refused(data)
    assert message == str(sheets.TOO_MANY_ROWS) % {"limit": 20000}


def test_it_refuses_a_zip_bomb_disguised_as_xlsx(settings):
    settings.NEWMEDIA_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    # 20 MB of zeros packs into a few kilobytes.
    data = _patched(_xlsx([["名称"]]), "xl/media/padding.bin", b"\x00" * (20 * 1024 * 1024))
    assert len(data) < 100_000
    [message] = _refused(data)
    assert message == str(sheets.TOO_BIG_UNPACKED) % {"limit": filesizeformat(1024 * 1024)}


def test_it_refuses_an_xml_bomb_disguised_as_xlsx():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    data = _patched(_xlsx([["名称"]]), "xl/worksheets/sheet1.xml", bomb)
    assert _refused(data) == [str(sheets.UNSAFE_XML)]


def test_it_refuses_formulae_that_were_never_calculated():
    data = _xlsx([["名称", "成员人数"], ["工作群", "=1+1"]])  # openpyxl stores no value
    assert _refused(data) == [str(sheets.UNCALCULATED_FORMULAE)]


def test_it_reads_the_value_of_a_calculated_formula():
    data = _xlsx([["名称", "成员人数"], ["工作群", "=1+1"]])
    calculated = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    calculated = calculated.replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>")
    calculated = calculated.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
    rows = read_sheet(_patched(data, "xl/worksheets/sheet1.xml", calculated)).rows
    assert rows[1] == ["工作群", 2.0]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "utf-16"])
def test_it_reads_csv_as_excel_saves_it(encoding):
    text = "名称,平台\n会计学院工作群,QQ群\n"
    delimiter = "\t" if encoding == "utf-16" else ","  # Excel's "Unicode text"
    sheet = read_sheet(text.replace(",", delimiter).encode(encoding))
    assert (sheet.kind, sheet.rows) == ("csv", [["名称", "平台"], ["会计学院工作群", "QQ群"]])


def test_it_fills_a_department_merged_down_its_rows():
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["所属单位", "名称"], ["会计学院", "一群"], [None, "二群"]):
        sheet.append(row)
    sheet.merge_cells("A2:A3")
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_sheet(buffer.getvalue()).rows[1:] == [["会计学院", "一群"], ["会计学院", "二群"]]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_it_neutralises_text_that_would_run_in_csv(value):
    assert neutralise_csv(value) == "'" + value


@pytest.mark.parametrize("value", [-5, 3.5, 0, None, "", "会计学院", "a=b"])
def test_it_leaves_numbers_empty_cells_and_plain_text_alone(value):
    assert neutralise_csv(value) == value


def test_it_writes_csv_with_a_bom_and_keeps_numbers_unquoted():
    content = csv_bytes([["名称", "人数"], ['=HYPERLINK("http://x")', -5]])
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [["名称", "人数"], ['\'=HYPERLINK("http://x")', "-5"]]


# Workbooks of several sheets, and Word documents.


def _docx(*blocks) -> bytes:
    """A Word document made with python-docx: strings are paragraphs, lists of rows tables."""
    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        table = document.add_table(rows=len(block), cols=len(block[0]))
        for cells, row in zip(table.rows, block, strict=True):
            for cell, value in zip(cells.cells, row, strict=True):
                cell.text = str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_it_reads_every_visible_sheet_of_a_workbook_by_name():
    book = openpyxl.Workbook()
    book.active.title = "微信群"
    book.active.append(["微信群名称", "群主"])
    book.create_sheet("QQ群").append(["QQ群名称", "QQ群号"])
    book.create_sheet("隐藏").append(["不读"])
    book["隐藏"].sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    found = read_book(buffer.getvalue())
    assert [(s.name, s.kind, s.rows) for s in found] == [
        ("微信群", "xlsx", [["微信群名称", "群主"]]),
        ("QQ群", "xlsx", [["QQ群名称", "QQ群号"]]),
    ]


def test_it_reads_each_word_table_under_its_title_block():
    data = _docx(
        "QQ工作群登记表",
        "填报单位（盖章）：会计学院",
        [["QQ群名称", "QQ群号"], ["教职工群", "612345001"]],
        "公众号",
        [["账号名称", "原始ID"], ["会计之声", "gh_0123456789ab"]],
    )
    first, second = read_book(data)
    assert (first.kind, first.name) == ("docx", str(sheets.DOCX_TABLE_NAME) % {"number": 1})
    assert first.rows == [
        ["QQ工作群登记表"],
        ["填报单位（盖章）：会计学院"],
        ["QQ群名称", "QQ群号"],
        ["教职工群", "612345001"],
    ]
    assert second.rows == [["公众号"], ["账号名称", "原始ID"], ["会计之声", "gh_0123456789ab"]]


def test_it_refuses_a_word_document_without_a_table():
    assert _refused(_docx("只有一段文字")) == [str(sheets.NO_TABLE)]


def test_it_refuses_a_zip_bomb_disguised_as_docx(settings):
    settings.NEWMEDIA_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    data = _patched(_docx([["名称"]]), "word/media/padding.bin", b"\x00" * (20 * 1024 * 1024))
    assert len(data) < 100_000
    [message] = _refused(data)
    assert message == str(sheets.TOO_BIG_UNPACKED) % {"limit": filesizeformat(1024 * 1024)}


def test_it_refuses_an_xml_bomb_disguised_as_docx():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = _patched(_docx([["名称"]]), "word/document.xml", bomb)
    assert _refused(data) == [str(sheets.UNSAFE_XML)]


@pytest.mark.parametrize("stream", ["WordDocument", "WpsContent"])
def test_it_asks_for_an_old_word_or_wps_document_as_docx(stream):
    # No library writes .doc; an OLE2 compound file's directory names its streams in UTF-16.
    data = sheets._OLE2 + b"\x00" * 504 + stream.encode("utf-16-le") + b"\x00" * 64
    assert _refused(data) == [str(sheets.OLD_WORD)]
