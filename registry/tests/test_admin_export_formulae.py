"""The admin's exports write formula-like text whole and as text (issue 14, item 3): CSV and TSV
left + - @ raw and dropped a leading = ("=1+1" became "1+1"); xlsx dropped the = too."""

import csv
import io

import openpyxl
import pytest

from registry.models import Department
from registry.tests.exports import export
from registry.tests.factories import DepartmentFactory

NAMES = ["=1+1", "+2", "-3", "@SUM(A1)"]


@pytest.fixture
def departments(db):
    return [DepartmentFactory(name=name) for name in NAMES]


def _names(rows) -> set:
    header, *body = rows
    column = header.index("name")
    return {row[column] for row in body}


@pytest.mark.parametrize(("file_format", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_text_exports_neutralise_formulae_with_the_sites_apostrophe(
    client_for, admin_user, departments, file_format, delimiter
):
    response = export(client_for(admin_user), Department, file_format)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))
    assert _names(rows) >= {f"'{name}" for name in NAMES}


def test_the_xlsx_export_keeps_the_text_whole_as_text(client_for, admin_user, departments):
    response = export(client_for(admin_user), Department, "xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value in NAMES]
    assert {cell.value for cell in cells} == set(NAMES)
    assert {cell.data_type for cell in cells} == {"s"}
