"""The form as a PDF and its downloads: the same rows as the xlsx, the header on every page, the
signature block with the last rows, numbered pages, Chinese file names with an ASCII fallback,
and a constant number of queries."""

import io
from urllib.parse import quote

from django.urls import reverse
from pypdf import PdfReader

from approvals.models import Filing
from approvals.services import exports
from approvals.tests.factories import bulk_accounts, filing_in

LONG_NAME = "会计学院2026年技能大赛集训临时工作群" * 3  # 60 characters


def _pages(content: bytes) -> list[str]:
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def test_it_draws_every_row_whole_with_the_decided_closure(department):
    filing_in(Filing.State.CLOSED, department=department, name=LONG_NAME)
    filing_in(
        Filing.State.REGISTERED,
        department=department,
        name="钉钉工作群",
        number="dingtalk_group-" + "0123456789" * 4,
        purpose="用于发布通知。" * 28,  # 196 characters: the column holds 200
    )
    pages = _pages(exports.form_content(department=department, mask=False, file_format="pdf"))
    text = "".join(pages)
    assert LONG_NAME in text and "dingtalk_group-" + "0123456789" * 4 in text
    assert "解散（已关停）" in text
    assert "第1页，共" in pages[0] and "部门负责人（签字）" in pages[-1]


def test_it_paginates_300_accounts_with_the_header_on_every_page(
    department, django_assert_num_queries
):
    bulk_accounts(department, 300)
    with django_assert_num_queries(1):
        content = exports.form_content(department=department, mask=False, file_format="pdf")
    pages = _pages(content)
    assert len(pages) > 5
    assert all("序号" in page and "处置意见" in page for page in pages)
    assert all(f"共{len(pages)}页" in page for page in pages)
    last_name = exports.form_accounts(department=department).last().name
    assert "".join(last_name.split()) in pages[-1] and "部门负责人（签字）" in pages[-1]


def test_it_downloads_under_a_chinese_name_with_an_ascii_fallback(client_for, filer, department):
    filing_in(Filing.State.REGISTERED, department=department)
    for file_format, url_name in (("pdf", "form_pdf"), ("xlsx", "form_download")):
        response = client_for(filer).get(reverse(f"approvals:{url_name}", args=[department.pk]))
        assert response.status_code == 200
        chinese, ascii_name = exports.form_file_names(
            department=department, file_format=file_format
        )
        assert chinese.startswith(f"{department.name}-新媒体登记表-")
        assert response["Content-Disposition"] == (
            f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quote(chinese)}"
        )
    assert response.content.startswith(b"PK")  # the xlsx
    assert response["Content-Type"] == exports.XLSX


def test_it_refuses_the_pdf_of_another_department(client_for, outsider, department):
    filing_in(Filing.State.REGISTERED, department=department)
    url = reverse("approvals:form_pdf", args=[department.pk])
    assert client_for(outsider).get(url).status_code == 404


def test_it_prints_300_accounts_in_a_constant_number_of_queries(
    client_for, filer, department, django_assert_max_num_queries
):
    client = client_for(filer)
    url = reverse("approvals:form_print", args=[department.pk])
    bulk_accounts(department, 3)
    client.get(url)  # the session and the user, loaded once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    bulk_accounts(department, 300)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    html = response.content.decode()
    assert html.count("<tr>") == 303 + 1  # the header and every row
    assert 'class="last"' in html and "signature-row" in html
