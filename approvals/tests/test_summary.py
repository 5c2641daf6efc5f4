"""The campaign's public summary: totals by platform and outcome, as a page, an xlsx and a PDF;
reviewers see it always, anyone else only once it is published; no personal data anywhere."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from approvals import centre
from approvals.models import Filing, ReturnState
from approvals.tests.factories import CampaignFactory, filing_in, return_in
from registry.models import Account
from registry.tests.factories import StaffFactory

ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")
PEOPLE = ("张伟", "李娜", "王芳")


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def register(campaign, department, other_department, filer, reviewer):
    StaffFactory(name="王芳", department=department, phone="13912345678")
    filing_in(Filing.State.APPROVED, department=department, owner_phone="13912345678")
    filing_in(Filing.State.REGISTERED, department=department)
    filing_in(Filing.State.REGISTERED, department=department, platform=Account.Platform.WEIBO)
    filing_in(Filing.State.CLOSED, department=department)  # dissolved
    filing_in(Filing.State.CLOSING, department=other_department)
    filing_in(Filing.State.DRAFT, department=other_department)
    filing_in(Filing.State.SUBMITTED, department=other_department, name="张伟的工作群")
    return_in(ReturnState.ACCEPTED, campaign=campaign, department=department)
    return campaign


def _url(campaign, file_format=None):
    if file_format:
        return reverse("approvals:summary_download", args=[campaign.pk, file_format])
    return reverse("approvals:summary", args=[campaign.pk])


def test_it_shows_reviewers_an_unpublished_summary(client_for, reviewer, register):
    response = client_for(reviewer).get(_url(register))
    assert response.status_code == 200
    assert register.title in response.content.decode()


@pytest.mark.parametrize("file_format", [None, "xlsx", "pdf"])
def test_it_hides_an_unpublished_summary_from_everyone_else(
    client, client_for, filer, outsider, register, file_format
):
    assert client.get(_url(register, file_format)).status_code == 404
    assert client_for(filer).get(_url(register, file_format)).status_code == 404
    assert client_for(outsider).get(_url(register, file_format)).status_code == 404


@pytest.mark.parametrize("file_format", [None, "xlsx", "pdf"])
def test_it_shows_a_published_summary_without_login(client, register, file_format):
    register.summary_published = True
    register.save()
    assert client.get(_url(register, file_format)).status_code == 200


def test_it_answers_404_for_an_unknown_format(
    client_for, reviewer, register, django_assert_max_num_queries
):
    client = client_for(reviewer)
    # What the 404 page itself reads (the session, its user, the navigation): no summary.
    with django_assert_max_num_queries(5):
        assert client.get(_url(register, "docx")).status_code == 404


def test_it_counts_by_platform_and_outcome(register):
    summary = centre.campaign_summary(campaign=register)
    header = summary.header
    rows = {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in summary.rows}
    qq = rows[str(Account.Platform.QQ_GROUP.label)]
    total = rows[summary.rows[-1][0]]
    dissolved = f"{Filing.State.CLOSED.label}：{Account.Disposition.DISSOLVE.label}"
    assert qq[header[1]] == 1  # kept: approved
    assert qq[header[2]] == 1  # kept: registered
    assert qq[dissolved] == 1
    assert qq[header[-3]] == 1  # being closed
    assert qq[header[-2]] == 2  # still open: a draft and a submission
    assert qq[header[-1]] == 6
    assert total[header[-1]] == Filing.objects.count() == 7
    assert (summary.departments, summary.handed_in) == (2, 1)


def _page_text(client, campaign):
    return client.get(_url(campaign)).content.decode()


def _xlsx_text(client, campaign):
    book = load_workbook(io.BytesIO(client.get(_url(campaign, "xlsx")).content))
    return "\n".join(
        " ".join(str(v) for v in row if v is not None)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def _pdf_text(client, campaign):
    reader = PdfReader(io.BytesIO(client.get(_url(campaign, "pdf")).content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("text_of", [_page_text, _xlsx_text, _pdf_text])
def test_it_holds_no_personal_data(client, register, text_of):
    register.summary_published = True
    register.save()
    text = text_of(client, register)
    # It says something (the check below would pass on an empty file): the campaign and a count.
    assert register.title in text
    assert str(Account.Platform.WEIBO.label) in text
    assert not ELEVEN_DIGITS.search(text)
    for name in PEOPLE:
        assert name not in text
    # Department names are not in the summary either: it is school-wide totals only.
    assert "测试学院" not in text


def test_it_writes_the_same_numbers_in_the_xlsx(client_for, reviewer, register):
    content = client_for(reviewer).get(_url(register, "xlsx")).content
    rows = [
        list(r)
        for r in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)
    ]
    summary = centre.campaign_summary(campaign=register)
    start = rows.index(summary.header)
    assert rows[start + 1 :] == summary.rows


def test_it_names_the_closures_as_the_form_does(client_for, reviewer, register):
    """The form says 下架 (take down); the summary once said 下线."""
    page = client_for(reviewer).get(_url(register)).content.decode()
    assert "下架" in page and "下线" not in page
