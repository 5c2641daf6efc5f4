"""The command centre over the seeded demo: every chart has real data to show, its numbers are
the register counted afresh here (not read back from the tally the page uses), and the table
under each chart and its CSV export carry exactly the chart's numbers."""

import csv
import io
import json
import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from approvals.models import CLOSURE_KINDS, DepartmentReturn, Filing
from approvals.selectors import DONE_RETURN_STATES
from cleanup.models import Finding, Severity
from cleanup.rules import rule_title
from registry.models import Account

URL = reverse("approvals:command_centre")
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


@pytest.fixture
def page(client, db):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username="reviewer1"))
    body = client.get(URL).content.decode()
    charts = json.loads(body.split('id="chart-data" type="application/json">')[1].split("<")[0])
    return client, body, charts


def _series(chart) -> dict[tuple[str, str], int]:
    """(row label, series label) -> value, leaving out the zeros."""
    return {
        (label, dataset["label"]): value
        for dataset in chart["datasets"]
        for label, value in zip(chart["labels"], dataset["data"], strict=True)
        if value
    }


def _table(body: str, key: str) -> list[list[str]]:
    """The rows of the table under a chart, as the page shows them, heading row first."""
    section = body.split(f'id="chart-{key}-title"')[1].split("</table>")[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in CELL.findall(row)]
        for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)
    ]


def test_every_chart_shows_the_demo_register_counted_afresh(page):
    _client, _body, charts = page
    with translation.override("zh-hans"):
        platforms = Counter(
            (str(Account.Platform(platform).label), str(Filing.State(state).label))
            for platform, state in Filing.objects.values_list("account__platform", "state")
        )
        kinds = dict(CLOSURE_KINDS)
        closures = Counter(
            (str(kinds[kind]), str(Filing.State(state).label))
            for kind, state in Filing.objects.filter(
                state__in=[Filing.State.CLOSING, Filing.State.CLOSED]
            ).values_list("closure_kind", "state")
        )
        findings = Counter(
            (rule_title(rule), str(Severity(severity).label))
            for rule, severity in Finding.objects.open().values_list("rule", "severity")
        )
    for key, chart in charts.items():
        assert any(any(dataset["data"]) for dataset in chart["datasets"]), f"{key} is empty"
    assert _series(charts["platforms"]) == platforms
    assert _series(charts["closures"]) == closures
    assert _series(charts["findings"]) == findings

    handed_in = DepartmentReturn.objects.filter(
        state__in=list(DONE_RETURN_STATES), handed_in_at__isnull=False
    ).count()
    per_day, so_far = (dataset["data"] for dataset in charts["progress"]["datasets"])
    assert sum(per_day) == so_far[-1] == handed_in > 0


def test_each_charts_table_and_export_carry_its_numbers(page):
    client, body, charts = page
    assert set(charts) == {"platforms", "progress", "closures", "findings"}
    for key, chart in charts.items():
        heading, *rows = _table(body, key)
        assert heading[1:] == [dataset["label"] for dataset in chart["datasets"]]
        assert [row[0] for row in rows] == chart["labels"]
        for column, dataset in enumerate(chart["datasets"], 1):
            assert [int(row[column]) for row in rows] == dataset["data"]

        export = client.get(reverse("approvals:chart_export", args=[key, "csv"]))
        exported = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert exported == [heading, *rows], key
