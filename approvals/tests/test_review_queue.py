import time

import pytest
from django.urls import reverse

from approvals import models, services
from approvals.models import Filing, Notification
from approvals.tests.factories import filing_in
from newmedia import publishing
from newmedia.tests.brokers import closed_port, publishing_to

URL = reverse("approvals:review_queue")


def _messages(response):
    return [str(m) for m in response.wsgi_request._messages]


def test_it_is_for_reviewers_only(client_for, filer):
    assert client_for(filer).get(URL).status_code == 403


def test_it_lists_submitted_accounts_oldest_first(client_for, reviewer, department):
    first = filing_in(Filing.State.SUBMITTED, department=department, name="先提交")
    filing_in(Filing.State.DRAFT, department=department, name="草稿")
    second = filing_in(Filing.State.SUBMITTED, department=department, name="后提交")
    Filing.objects.filter(pk=second.pk).update(
        state_changed_at=first.state_changed_at.replace(year=2030)
    )
    page = client_for(reviewer).get(URL).context["page"]
    assert [a.name for a in page] == ["先提交", "后提交"]


def test_it_registers_each_selected_row_on_its_own_and_reports_the_rest(
    client_for, reviewer, department
):
    ok = [filing_in(Filing.State.SUBMITTED, department=department) for _ in range(2)]
    school = filing_in(Filing.State.SUBMITTED, department=department, naming_level="school")
    response = client_for(reviewer).post(
        URL, {"action": "register", "filings": [f.pk for f in [*ok, school]], "comment": "同意"}
    )
    assert response.status_code == 302
    assert [Filing.objects.get(pk=f.pk).state for f in ok] == ["registered", "registered"]
    assert Filing.objects.get(pk=school.pk).state == "submitted"
    messages = _messages(response)
    assert any(str(models.NOT_DEPARTMENT_LEVEL) in m for m in messages)
    assert any("2" in m for m in messages)


def test_it_reports_a_row_someone_else_already_changed(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    Filing.objects.filter(pk=filing.pk).update(state=Filing.State.RETURNED)
    response = client_for(reviewer).post(URL, {"action": "register", "filings": [filing.pk]})
    assert Filing.objects.get(pk=filing.pk).state == "returned"
    assert any(
        services.STALE_STATE % {"state": Filing.State.RETURNED.label} in m
        for m in _messages(response)
    )


def test_it_requires_a_comment_to_return(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    response = client_for(reviewer).post(
        URL, {"action": "return_for_revision", "filings": [filing.pk]}
    )
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    assert Filing.objects.get(pk=filing.pk).state == "submitted"


def test_it_returns_the_selected_rows_with_the_comment(client_for, reviewer, department):
    filings = [filing_in(Filing.State.SUBMITTED, department=department) for _ in range(3)]
    client_for(reviewer).post(
        URL,
        {"action": "return_for_revision", "filings": [f.pk for f in filings], "comment": "补充"},
    )
    assert {Filing.objects.get(pk=f.pk).state for f in filings} == {"returned"}


def test_it_refuses_a_post_without_the_csrf_token(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    response = client_for(reviewer).post_without_token(
        URL, {"action": "register", "filings": [filing.pk]}
    )
    assert response.status_code == 403
    assert Filing.objects.get(pk=filing.pk).state == "submitted"


# Committed for real, row by row, as in production: the publishing waits for the commits.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_broker_down_it_finishes_at_once_publishes_once_and_lists_every_row(
    client_for, reviewer, filer, department
):
    """Item 7 of issue 14: each row waited the broker's 2 s timeout, so a bulk review of 50
    passed gunicorn's timeout and the reviewer was not told which rows were done."""
    filer.email = "filer@example.edu.cn"
    filer.save()
    filings = [
        filing_in(Filing.State.SUBMITTED, department=department, name=f"工作群{n:02d}")
        for n in range(10)
    ]
    school = filing_in(Filing.State.SUBMITTED, department=department, naming_level="school")
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        response = client_for(reviewer).post(
            URL, {"action": "register", "filings": [f.pk for f in [*filings, school]]}
        )
        took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 2, took
    assert {Filing.objects.get(pk=f.pk).state for f in filings} == {"registered"}
    # One publishing pass after the last row, refused once: nothing was tried row by row.
    assert publishing.counters["publish_failed"] == 1
    assert publishing.counters["publish_skipped"] == 0
    assert not Notification.objects.filter(email_queued_at__isnull=False).exists()
    assert Notification.objects.filter(email_to="filer@example.edu.cn").count() == 10
    messages = _messages(response)
    assert all(any(f"工作群{n:02d}" in m for m in messages) for n in range(10))
    assert any(str(school.account) in m and str(models.NOT_DEPARTMENT_LEVEL) in m for m in messages)


def test_rows_left_when_its_time_is_up_are_listed_as_not_attempted(
    client_for, reviewer, department, settings
):
    settings.NEWMEDIA_BULK_SECONDS = 0  # out of time after the first row
    filings = [filing_in(Filing.State.SUBMITTED, department=department) for _ in range(3)]
    response = client_for(reviewer).post(
        URL, {"action": "register", "filings": [f.pk for f in filings]}
    )
    states = [Filing.objects.get(pk=f.pk).state for f in filings]
    assert states == ["registered", "submitted", "submitted"]
    messages = _messages(response)
    for filing in filings[1:]:
        assert any(
            str(filing.account) in m and str(services.BULK_OUT_OF_TIME) in m for m in messages
        )


def test_after_a_bulk_action_it_comes_back_to_the_same_page_with_the_action_chosen(
    client_for, reviewer, department, settings
):
    settings.NEWMEDIA_PAGE_SIZE = 2
    filings = [
        filing_in(Filing.State.SUBMITTED, department=department, naming_level="department")
        for _ in range(5)
    ]
    client = client_for(reviewer)
    page_two = client.get(URL, {"page": 2}).context["page"]
    chosen = [account.filing.pk for account in page_two]
    response = client.post(
        f"{URL}?page=2", {"action": "register", "filings": chosen, "comment": "同意"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?page=2&action=register"
    again = client.get(response["Location"])
    assert again.context["page"].number == 2
    assert again.context["form"]["action"].value() == "register"
    assert 'value="register" selected' in again.content.decode()
    done = Filing.objects.filter(state=Filing.State.REGISTERED).count()
    assert done == 2 and len(filings) == 5


def _queue_names(client, **filters):
    return {account.name for account in client.get(URL, filters).context["page"]}


def test_it_filters_by_department_platform_naming_level_and_waiting_time(
    client_for, reviewer, department, other_department
):
    from datetime import timedelta

    from django.utils import timezone

    here = filing_in(
        Filing.State.SUBMITTED, department=department, name="甲群", platform="qq_group"
    )
    there = filing_in(
        Filing.State.SUBMITTED,
        department=other_department,
        name="乙号",
        platform="wechat_official",
        account_type="subscription",
        naming_level="school",
    )
    Filing.objects.filter(pk=there.pk).update(state_changed_at=timezone.now() - timedelta(days=5))
    client = client_for(reviewer)
    assert _queue_names(client) == {"甲群", "乙号"}
    assert _queue_names(client, department=department.pk) == {"甲群"}
    assert _queue_names(client, platform="wechat_official") == {"乙号"}
    assert _queue_names(client, naming_level="school") == {"乙号"}
    assert _queue_names(client, waiting="3") == {"乙号"}
    assert _queue_names(client, waiting="7") == set()
    assert here.pk != there.pk


def test_all_matching_acts_on_every_page_of_the_filter_and_nothing_else(
    client_for, reviewer, department, other_department, settings
):
    settings.NEWMEDIA_PAGE_SIZE = 2
    mine = [
        filing_in(Filing.State.SUBMITTED, department=department, naming_level="department")
        for _ in range(5)
    ]
    others = [
        filing_in(Filing.State.SUBMITTED, department=other_department, naming_level="department")
        for _ in range(2)
    ]
    response = client_for(reviewer).post(
        f"{URL}?department={department.pk}",
        {"action": "register", "all_matching": "on", "comment": "同意"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?department={department.pk}&action=register"
    states = dict(Filing.objects.values_list("pk", "state"))
    assert all(states[f.pk] == Filing.State.REGISTERED for f in mine)  # all 5, over 3 pages
    assert all(states[f.pk] == Filing.State.SUBMITTED for f in others)  # outside the filter


def test_it_offers_select_all_on_the_page(client_for, reviewer, department):
    filing_in(Filing.State.SUBMITTED, department=department)
    page = client_for(reviewer).get(URL).content.decode()
    assert 'data-select-all="filings"' in page and "select-all.js" in page
    assert "对筛选出的全部 1 个账号执行" in page


def test_nothing_selected_and_not_all_matching_is_refused(client_for, reviewer, department):
    filing_in(Filing.State.SUBMITTED, department=department)
    response = client_for(reviewer).post(URL, {"action": "register", "comment": "同意"})
    assert response.status_code == 200
    assert "请至少选择一个账号" in response.content.decode() or response.context["form"].errors
    assert not Filing.objects.filter(state=Filing.State.REGISTERED).exists()


def test_its_total_comes_from_the_tally_unless_a_filter_needs_counting(
    client_for, reviewer, department, other_department
):
    """Issue 19: the queue's total, the number its 'every matching account' action acts on."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for state, owner in [("submitted", department)] * 2 + [
        ("submitted", other_department),
        ("draft", department),
    ]:
        filing_in(state, department=owner)
    client = client_for(reviewer)
    for filters, total, counted in [
        ({}, 3, False),
        ({"department": department.pk}, 2, False),
        ({"waiting": "7"}, 0, True),
    ]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("approvals:review_queue"), filters)
        assert response.context["page"].paginator.count == total
        assert counted == any(
            q["sql"].startswith("SELECT COUNT(*)") for q in queries.captured_queries
        )
