"""The reviewer's command centre: who sees it, its rows, sorts and filters, its charts' numbers
and its cost in queries."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from approvals.models import (
    DepartmentReturn,
    Filing,
    ManualReminderLog,
    ReminderLog,
    ReturnState,
)
from approvals.services.notifications import notification_build, notifications_create
from approvals.tests.factories import CampaignFactory, filing_in, return_in
from cleanup.models import Finding, Severity
from registry.models import Account, Department
from registry.tests.factories import AccountFactory, DepartmentFactory

URL = reverse("approvals:command_centre")


@pytest.fixture
def campaign(db):
    return CampaignFactory()


def _rows(response):
    return {row.name: row for row in response.context["rows"]}


def _chart(response, key):
    data = json.loads(
        response.content.decode()
        .split('id="chart-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    return data[key]


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_filers_and_outsiders(client_for, filer, outsider):
    assert client_for(filer).get(URL).status_code == 403
    assert client_for(outsider).get(URL).status_code == 403


def test_it_is_linked_from_the_reviewers_dashboard_and_the_nav(client_for, reviewer, campaign):
    body = client_for(reviewer).get(reverse("approvals:dashboard")).content.decode()
    assert body.count(f'href="{URL}"') == 2


def test_it_says_when_no_campaign_is_active(client_for, reviewer, department):
    response = client_for(reviewer).get(URL)
    assert response.status_code == 200
    assert response.context["campaign"] is None
    assert response.context["rows"] == []


def test_it_counts_down_and_shows_one_row_per_department(
    client_for, reviewer, campaign, department, other_department
):
    filing_in(Filing.State.DRAFT, department=department)
    filing_in(Filing.State.RETURNED, department=department)
    filing_in(Filing.State.APPROVED, department=department)
    return_in(ReturnState.HANDED_IN, campaign=campaign, department=other_department)
    response = client_for(reviewer).get(URL)
    body = response.content.decode()
    assert campaign.title in body
    assert "30" in body  # days left
    rows = _rows(response)
    mine, other = rows[department.name], rows[other_department.name]
    assert (mine.return_state, mine.open_accounts, mine.total_accounts) == ("not_started", 2, 3)
    assert mine.state_counts == [
        ("draft", 1),
        ("returned", 1),
        ("approved", 1),
    ]
    assert other.return_state == "handed_in"
    totals = response.context["totals"]
    assert (totals.departments, totals.done, totals.late, totals.open_accounts) == (2, 1, 1, 2)


def test_it_shows_open_findings_and_the_last_reminder(
    client_for, reviewer, filer, campaign, department
):
    account = AccountFactory(department=department)
    Finding.objects.create(account=account, rule="forbidden_name", severity=Severity.BLOCKING)
    Finding.objects.create(account=account, rule="no_real_name", severity=Severity.WARNING)
    Finding.objects.create(
        account=account,
        rule="owner_missing",
        severity=Severity.WARNING,
        resolved_at=timezone.now(),
    )
    _reminded(campaign, department, filer, milestone=7)
    response = client_for(reviewer).get(URL)
    row = _rows(response)[department.name]
    assert (row.blocking_findings, row.warning_findings) == (1, 1)
    assert response.context["totals"].blocking_findings == 1
    assert row.last_auto_at is not None and row.last_manual_at is None
    assert row.last_auto_milestone == 7


def _reminded(campaign, department, recipient, *, by=None, milestone=3):
    """A reminder the sweep sent the department (or, with ``by``, a reviewer)."""
    [notification] = notifications_create(
        [
            notification_build(
                template="reminder", context={"campaign": campaign}, recipient=recipient
            )
        ]
    )
    fields = {"campaign": campaign, "department": department, "recipient": recipient}
    if by is None:
        return ReminderLog.objects.create(milestone=milestone, notification=notification, **fields)
    return ManualReminderLog.objects.create(
        day=timezone.localdate(), sent_by=by, notification=notification, **fields
    )


def test_each_row_says_in_words_where_its_department_stands(client_for, reviewer, filer, campaign):
    busy = DepartmentFactory(name="<b>甲</b>学院", code="A&1")
    quiet = DepartmentFactory(name="乙处", code="B")
    done = DepartmentFactory(name="丙校区", code="C")
    draft = filing_in(Filing.State.DRAFT, department=busy)
    filing_in(Filing.State.APPROVED, department=busy)
    Finding.objects.create(account=draft.account, rule="forbidden_name", severity=Severity.BLOCKING)
    handed_in = return_in(ReturnState.HANDED_IN, campaign=campaign, department=busy)
    return_in(ReturnState.ACCEPTED, campaign=campaign, department=done)
    sweep = _reminded(campaign, busy, filer, milestone=3)
    by_hand = _reminded(campaign, quiet, filer, by=reviewer)
    body = client_for(reviewer).get(URL).content.decode()
    cells = {
        code: body.split(f">{code}</div>")[1].split("</tr>")[0] for code in ("A&amp;1", "B", "C")
    }

    # The department's own words are escaped; its name links to its return when it has one.
    assert "<b>甲</b>" not in body
    return_link = reverse("approvals:return_detail", args=[handed_in.pk])
    assert f'<a href="{return_link}">&lt;b&gt;甲&lt;/b&gt;学院</a>' in body
    assert '<th scope="row" class="fw-normal">乙处<div' in body
    busy_row, quiet_row, done_row = cells["A&amp;1"], cells["B"], cells["C"]
    accounts = reverse("approvals:account_list")
    with translation.override("zh-hans"):
        draft_label, approved_label = Filing.State.DRAFT.label, Filing.State.APPROVED.label
        handed_in_label = ReturnState.HANDED_IN.label
    assert f">{handed_in_label}</span>" in busy_row
    assert f'href="{accounts}?department={busy.pk}&amp;state=draft">{draft_label} 1</a>' in busy_row
    assert f'state=approved">{approved_label} 1</a>' in busy_row
    findings = reverse("cleanup:finding_list")
    assert f'href="{findings}?department={busy.pk}">1 个阻断，0 个警告</a>' in busy_row
    when = timezone.localtime(sweep.created_at).strftime("%Y-%m-%d %H:%M")
    assert f'{when}<div class="text-muted">每日提醒，距截止日期 3 天</div>' in busy_row
    assert _remind_button(busy) in busy_row  # a draft is still open

    assert "没有账号" in quiet_row
    when = timezone.localtime(by_hand.created_at).strftime("%Y-%m-%d %H:%M")
    assert f'{when}<div class="text-muted">由审核人发送</div>' in quiet_row
    assert _remind_button(quiet) in quiet_row  # not handed in

    assert "从未" in done_row
    assert "无待办" in done_row and "<button" not in done_row


def _three_departments(campaign):
    late = DepartmentFactory(name="甲学院", code="A", kind=Department.Kind.COLLEGE)
    busy = DepartmentFactory(name="乙处", code="B", kind=Department.Kind.OFFICE)
    done = DepartmentFactory(name="丙校区", code="C", kind=Department.Kind.CAMPUS)
    for _n in range(3):
        filing_in(Filing.State.DRAFT, department=busy)
    filing_in(Filing.State.DRAFT, department=late)
    blocked = AccountFactory(department=late)
    Finding.objects.create(account=blocked, rule="forbidden_name", severity=Severity.BLOCKING)
    return_in(ReturnState.ACCEPTED, campaign=campaign, department=done)
    return_in(ReturnState.IN_PROGRESS, campaign=campaign, department=busy)
    return late, busy, done


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", ["甲学院", "乙处", "丙校区"]),
        ("-department", ["丙校区", "乙处", "甲学院"]),
        ("-open", ["乙处", "甲学院", "丙校区"]),
        ("state", ["甲学院", "乙处", "丙校区"]),
        ("-state", ["丙校区", "乙处", "甲学院"]),
        ("-blocking", ["甲学院", "乙处", "丙校区"]),
        # Not on the whitelist: ignored, never passed to the database.
        ("name; DROP TABLE x", ["甲学院", "乙处", "丙校区"]),
        ("department__filers__password", ["甲学院", "乙处", "丙校区"]),
    ],
)
def test_it_sorts_on_a_whitelist(client_for, reviewer, campaign, sort, order):
    _three_departments(campaign)
    response = client_for(reviewer).get(URL, {"sort": sort})
    assert response.status_code == 200
    assert [row.name for row in response.context["rows"]] == order


@pytest.mark.parametrize(
    ("sort", "order"),
    [("reminded", ["丙校区", "甲学院", "乙处"]), ("-reminded", ["乙处", "甲学院", "丙校区"])],
)
def test_it_sorts_by_the_later_of_the_last_reminders(
    client_for, reviewer, filer, campaign, sort, order
):
    late, busy, _done = _three_departments(campaign)
    now = timezone.now()
    for log, days_ago in [
        (_reminded(campaign, late, filer, milestone=5), 2),
        (_reminded(campaign, busy, filer, milestone=7), 3),
        (_reminded(campaign, busy, filer, by=reviewer), 1),  # later than the sweep's
    ]:
        type(log).objects.filter(pk=log.pk).update(created_at=now - timedelta(days=days_ago))
    rows = client_for(reviewer).get(URL, {"sort": sort}).context["rows"]
    assert [row.name for row in rows if row.name in order] == order  # not the filer's own


def test_it_marks_the_sorted_column_for_screen_readers(client_for, reviewer, campaign):
    _three_departments(campaign)
    body = client_for(reviewer).get(URL, {"sort": "-open"}).content.decode()
    assert 'aria-sort="descending"' in body


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"state": "accepted"}, ["丙校区"]),
        ({"state": "not_started"}, ["甲学院"]),
        ({"kind": "office"}, ["乙处"]),
        ({"blocking": "yes"}, ["甲学院"]),
        ({"blocking": "no"}, ["乙处", "丙校区"]),
        ({"blocking": "no", "sort": "-blocking"}, ["乙处", "丙校区"]),
        ({"q": "校区"}, ["丙校区"]),
    ],
)
def test_it_filters(client_for, reviewer, campaign, query, names):
    _three_departments(campaign)
    response = client_for(reviewer).get(URL, query)
    assert [row.name for row in response.context["rows"]] == names


def test_it_paginates(client_for, reviewer, campaign, settings):
    settings.NEWMEDIA_PAGE_SIZE = 2
    _three_departments(campaign)
    client = client_for(reviewer)
    assert len(client.get(URL).context["rows"]) == 2
    assert [row.name for row in client.get(URL, {"page": 2}).context["rows"]] == ["丙校区"]


def _remind_button(department) -> str:
    return f'name="department" value="{department.pk}"'


def test_it_offers_a_reminder_only_to_departments_that_owe_something(
    client_for, reviewer, campaign
):
    late, _busy, done = _three_departments(campaign)
    body = client_for(reviewer).get(URL).content.decode()
    assert _remind_button(late) in body
    assert _remind_button(done) not in body


def test_its_reminder_form_carries_a_token_the_server_accepts(
    client_for, reviewer, campaign, filer, department
):
    filing_in(Filing.State.DRAFT, department=department)
    client = client_for(reviewer)
    body = client.get(URL + "?sort=-open").content.decode()
    action = reverse("approvals:department_remind")
    form = body.split(f'action="{action}"')[1].split("</form>")[0]
    assert form.count('name="csrfmiddlewaretoken"') == 1
    assert _remind_button(department) in form
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    back = form.split('name="next" value="')[1].split('"')[0]
    assert back == URL + "?sort=-open"
    response = client.post(
        action, {"csrfmiddlewaretoken": token, "next": back, "department": department.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == back
    assert ManualReminderLog.objects.filter(department=department, recipient=filer).exists()


# The charts: their JSON is what the database holds, and their tables show the same numbers.


def test_it_charts_the_accounts_by_platform_and_state(client_for, reviewer, campaign):
    filing_in(Filing.State.DRAFT, platform=Account.Platform.QQ_GROUP)
    filing_in(Filing.State.DRAFT, platform=Account.Platform.QQ_GROUP)
    filing_in(Filing.State.APPROVED, platform=Account.Platform.WEIBO, number="weibo1")
    response = client_for(reviewer).get(URL)
    chart = _chart(response, "platforms")
    platforms = list(Account.Platform)
    for dataset, state in zip(chart["datasets"], Filing.State, strict=True):
        assert dataset["label"] == state.label
        for platform, value in zip(platforms, dataset["data"], strict=True):
            assert value == Filing.objects.filter(account__platform=platform, state=state).count()
    _assert_table_matches(response, "platforms", chart)


def test_it_charts_the_hand_in_progress_per_day_and_so_far(
    client_for, reviewer, campaign, department, other_department
):
    third = DepartmentFactory()
    now = timezone.now()
    for dept, days_ago in ((department, 2), (other_department, 2), (third, 0)):
        done = return_in(ReturnState.HANDED_IN, campaign=campaign, department=dept)
        DepartmentReturn.objects.filter(pk=done.pk).update(
            handed_in_at=now - timedelta(days=days_ago)
        )
    # Sent back: not handed in any more.
    return_in(ReturnState.RETURNED, campaign=campaign, department=DepartmentFactory())
    response = client_for(reviewer).get(URL)
    chart = _chart(response, "progress")
    today = timezone.localdate(now)
    assert chart["labels"] == [
        timezone.localdate(now - timedelta(days=2)).isoformat(),
        today.isoformat(),
    ]
    assert chart["datasets"][0]["data"] == [2, 1]
    assert chart["datasets"][1]["data"] == [2, 3]
    assert (
        chart["datasets"][1]["data"][-1]
        == DepartmentReturn.objects.filter(
            campaign=campaign, state__in=["handed_in", "accepted"]
        ).count()
    )
    _assert_table_matches(response, "progress", chart)


def test_it_charts_closures_by_kind(client_for, reviewer, campaign):
    filing_in(Filing.State.CLOSING)
    filing_in(Filing.State.CLOSED)
    filing_in(Filing.State.CLOSED)
    response = client_for(reviewer).get(URL)
    chart = _chart(response, "closures")
    dissolve = chart["labels"].index(str(Account.Disposition.DISSOLVE.label))
    assert [d["data"][dissolve] for d in chart["datasets"]] == [1, 2]
    assert (
        sum(sum(d["data"]) for d in chart["datasets"])
        == Filing.objects.filter(state__in=["closing", "closed"]).count()
    )
    _assert_table_matches(response, "closures", chart)


def test_it_charts_open_findings_by_check(client_for, reviewer, campaign, department):
    for _n in range(2):
        account = AccountFactory(department=department)
        Finding.objects.create(account=account, rule="forbidden_name", severity=Severity.BLOCKING)
    Finding.objects.create(
        account=AccountFactory(department=department),
        rule="no_real_name",
        severity=Severity.WARNING,
    )
    response = client_for(reviewer).get(URL)
    chart = _chart(response, "findings")
    assert len(chart["labels"]) == 2
    blocking, warning = chart["datasets"]
    assert (blocking["data"], warning["data"]) == ([2, 0], [0, 1])
    _assert_table_matches(response, "findings", chart)


def _assert_table_matches(response, key, chart):
    [table] = [c for c in response.context["charts"] if c.key == key]
    assert table.header[1:] == [d["label"] for d in chart["datasets"]]
    assert [row[0] for row in table.rows] == chart["labels"]
    for index, dataset in enumerate(chart["datasets"], 1):
        assert [row[index] for row in table.rows] == dataset["data"]
    body = response.content.decode()
    for row in table.rows:
        assert f'<th scope="row" class="fw-normal">{row[0]}</th>' in body


def test_it_draws_with_the_projects_own_chart_library(client_for, reviewer, campaign):
    body = client_for(reviewer).get(URL).content.decode()
    assert "/static/vendor/chartjs/chart.umd.min.js" in body
    assert "/static/centre-charts.js" in body
    assert "<script>" not in body  # the content security policy forbids inline scripts


@pytest.mark.parametrize("departments", [10, 200])
def test_it_runs_a_bounded_number_of_queries(
    client_for, reviewer, campaign, departments, django_assert_max_num_queries
):
    created = DepartmentFactory.create_batch(departments)
    for n, department in enumerate(created[:5]):
        filing_in(Filing.State.DRAFT, department=department, number=str(800000000 + n))
        return_in(ReturnState.HANDED_IN, campaign=campaign, department=created[-1 - n])
    client = client_for(reviewer)
    # Session and user 2, permissions 2, the campaign 1, the rows' count and page 2, their
    # accounts by state and open findings 2, the departments' headline figures 1, the four
    # charts 3 (platforms and closures share one), the steps waiting too long 1, the changes
    # awaiting review 1, the failing group robots 1, and the navigation's departments of the
    # user 1 (registry.context_processors).
    for query in ({"sort": "-open"}, {"blocking": "yes", "sort": "-blocking"}):
        with django_assert_max_num_queries(17):
            assert client.get(URL, query).status_code == 200


def test_it_shows_the_departments_that_changed_after_the_hand_in(
    client_for, reviewer, filer, campaign, department, other_department
):
    from approvals.tests.factories import handed_in_return

    filing = filing_in(Filing.State.REGISTERED, department=department, name="教职工群")
    filing_in(Filing.State.REGISTERED, department=other_department)
    handed_in_return(campaign=campaign, department=department, by=filer)
    return_in(ReturnState.HANDED_IN, campaign=campaign, department=other_department)
    DepartmentReturn.objects.update(handed_in_at=timezone.now() + timedelta(seconds=1))
    rows = _rows(client_for(reviewer).get(URL))
    assert not rows[department.name].changed_after_hand_in
    account = filing.account
    account.name = "会计学院教职工群"
    account.save()  # after the hand-in, as a filer's edit is
    Account.objects.filter(pk=account.pk).update(updated_at=timezone.now() + timedelta(minutes=1))
    response = client_for(reviewer).get(URL)
    rows = _rows(response)
    assert rows[department.name].changed_after_hand_in
    assert not rows[other_department.name].changed_after_hand_in
    assert response.content.decode().count("报送后有变更") == 1
