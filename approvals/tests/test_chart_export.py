"""The command centre's chart exports: the numbers of each chart's table, as CSV or xlsx, for
reviewers only, with text that a spreadsheet would run kept as text."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from approvals import centre
from approvals.models import Filing
from approvals.services import centre as centre_services
from approvals.tests.factories import CampaignFactory, filing_in
from registry.models import Account


def _url(key, file_format):
    return reverse("approvals:chart_export", args=[key, file_format])


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def accounts(db):
    CampaignFactory()
    filing_in(Filing.State.DRAFT, platform=Account.Platform.QQ_GROUP)
    filing_in(Filing.State.APPROVED, platform=Account.Platform.QQ_GROUP)
    filing_in(Filing.State.CLOSED, platform=Account.Platform.WEIBO, number="wb")


def test_it_refuses_anonymous_visitors_filers_and_outsiders(client, client_for, filer, outsider):
    assert client.get(_url("platforms", "csv")).status_code == 302
    assert client_for(filer).get(_url("platforms", "csv")).status_code == 403
    assert client_for(outsider).get(_url("platforms", "xlsx")).status_code == 403


@pytest.mark.parametrize(("key", "file_format"), [("nope", "csv"), ("platforms", "pdf")])
def test_it_answers_404_for_an_unknown_chart_or_format(client_for, reviewer, key, file_format):
    assert client_for(reviewer).get(_url(key, file_format)).status_code == 404


@pytest.mark.parametrize("key", list(centre.CHART_TITLES))
def test_it_exports_the_charts_numbers_as_csv(client_for, reviewer, accounts, key):
    response = client_for(reviewer).get(_url(key, "csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    chart = centre.centre_charts(user=reviewer, campaign=None, keys=[key])[key]
    rows = _csv_rows(response.content)
    assert rows[0] == chart.header
    assert rows[1:] == [[str(value) for value in row] for row in chart.rows]


def test_it_exports_the_same_numbers_as_xlsx(client_for, reviewer, accounts):
    response = client_for(reviewer).get(_url("platforms", "xlsx"))
    assert response.status_code == 200
    rows = _xlsx_rows(response.content)
    header, *body = rows
    assert header == centre.centre_charts(user=reviewer, campaign=None)["platforms"].header
    qq = next(row for row in body if row[0] == str(Account.Platform.QQ_GROUP.label))
    states = [str(s.label) for s in Filing.State]
    assert qq[1 + states.index(str(Filing.State.DRAFT.label))] == 1
    assert qq[1 + states.index(str(Filing.State.APPROVED.label))] == 1
    assert sum(sum(row[1:]) for row in body) == Filing.objects.count()


def test_it_keeps_text_that_would_run_as_text():
    chart = centre.Chart(
        key="x",
        title="x",
        label_heading="=SUM(A1)",
        labels=['=HYPERLINK("http://evil")', "+1", "safe"],
        series=[centre.Series("@cmd", [1, 2, 3])],
    )
    rows = _csv_rows(centre_services.chart_file(chart=chart, file_format="csv"))
    assert rows[0] == ["'=SUM(A1)", "'@cmd"]
    assert [row[0] for row in rows[1:]] == ['\'=HYPERLINK("http://evil")', "'+1", "safe"]
    sheet = load_workbook(
        io.BytesIO(centre_services.chart_file(chart=chart, file_format="xlsx"))
    ).worksheets[0]
    cell = sheet["A2"]
    assert cell.value == '=HYPERLINK("http://evil")'
    assert cell.data_type == "s"
    assert sheet["B2"].value == 1
