"""The admin's export formats, writing formula-like text whole and as text, as the site's own
exports do (``registry.sheets``): django-import-export's own escaping drops a leading ``=``
("=1+1" became "1+1") and leaves + - @ to run in CSV and TSV."""

import io

from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .sheets import is_formula_like, neutralise_csv


def _neutralised(dataset):
    """The dataset with every formula-like text cell given the site's leading apostrophe."""
    copy = dataset.__class__(headers=dataset.headers)
    for row in dataset:
        copy.append([neutralise_csv(cell) for cell in row])
    return copy


class CSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        return super().export_data(_neutralised(dataset), **kwargs)


class TSV(base_formats.TSV):
    def export_data(self, dataset, **kwargs):
        return super().export_data(_neutralised(dataset), **kwargs)


class XLSX(base_formats.XLSX):
    """Cells written one by one: formula-like text stays text (a string cell), whole."""

    def export_data(self, dataset, **kwargs):
        book = Workbook(write_only=False)
        sheet = book.active
        sheet.append(list(dataset.headers or []))
        for row in dataset:
            sheet.append(
                [ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in row]
            )
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if is_formula_like(cell.value):
                    cell.data_type = "s"
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


# What the admin offers: the formats an office opens, each safe.
EXPORT_FORMATS = [CSV, XLSX, TSV]
