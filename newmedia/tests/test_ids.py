"""Lists of ids past a 64-bit integer from a request are refused, never a 500 (issue 14, item 5):
SQLite raised OverflowError as soon as such a number reached a ``pk__in`` lookup."""

from django.urls import reverse

from approvals.tests.factories import filing_in
from cleanup import services
from cleanup.tests.factories import csv_file, fine_account, qq_export

HUGE = "9223372036854775808"


def test_a_huge_notification_id_is_refused(client_for, filer):
    response = client_for(filer).post(
        reverse("approvals:notifications_read"), {"notification": HUGE}
    )
    assert response.status_code in (302, 400)


def test_a_huge_filing_id_in_the_review_queue_is_refused_with_a_message(
    client_for, reviewer, department
):
    filing = filing_in("submitted", department=department)
    response = client_for(reviewer).post(
        reverse("approvals:review_queue"), {"action": "register", "filings": [filing.pk, HUGE]}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["filings"]
    filing.refresh_from_db()
    assert filing.state == "submitted"


def test_a_huge_member_id_in_the_roster_removals_is_refused(client_for, filer, department):
    group = fine_account(department)
    services.roster_upload(
        account=group,
        by=filer,
        upload=csv_file(qq_export([("a", "张三", "1")], group_number=group.number)),
    )
    response = client_for(filer).post(
        reverse("cleanup:roster_removals", args=[group.pk]), {"members": [HUGE]}
    )
    assert response.status_code in (302, 400)
