"""The demo department's registration form printed from the browser (Chromium's own PDF, A4
landscape, as the print dialog would): at most two pages, the table head on each, and the
signature block on the page of the last row. The pages become the guides' picture."""

import io
import os
import unicodedata

import pytest
from django.urls import reverse
from pypdf import PdfReader

from registry.models import Department

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

A4_LANDSCAPE = (842, 595)  # points


# Chromium's PDFs map some ideographs of the CJK fonts back to radicals: Kangxi radicals fold
# under NFKC, the simplified ones of the supplement (no decomposition) through this table.
_RADICALS = str.maketrans(
    "⻅⻚⻔⻓⻢⻛⻋⻉⻜⻥⻦⻩⻬⻰⻝⻘⻆⻄⻮⻣⻤⻨⻊⻌⻏",
    "见页门长马风车贝飞鱼鸟黄齐龙食青角西齿骨鬼麦讠辶阝",
)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).translate(_RADICALS).split())


def _text(page) -> str:
    return _fold(page.extract_text())


def test_the_demo_form_prints_on_two_a4_landscape_pages_at_most(login):
    department = Department.objects.get(code="KJ")
    page = login("filer_kj")
    page.goto(reverse("approvals:form_print", args=[department.pk]))
    names = page.locator("table.form tbody tr:not(.signature-row) td:nth-child(3)")
    last_name = _fold(names.last.inner_text())
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    if folder := os.environ.get("NEWMEDIA_PRINT_PDF"):  # kept for the guides' pictures
        with open(os.path.join(folder, "print-view.pdf"), "wb") as out:
            out.write(page.pdf(prefer_css_page_size=True))
    assert 1 <= len(pdf.pages) <= 2
    for printed in pdf.pages:
        box = printed.mediabox
        assert (round(float(box.width)), round(float(box.height))) == A4_LANDSCAPE
    pages = [_text(printed) for printed in pdf.pages]
    assert all("序号" in text and "处置意见" in text for text in pages)
    assert last_name in pages[-1]
    signature = _fold("部门负责人（签字）")
    assert signature in pages[-1] and signature not in "".join(pages[:-1])
    assert _fold("（关停中）") in "".join(pages)  # the decided closures, not 保留
