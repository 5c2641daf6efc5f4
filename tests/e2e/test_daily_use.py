"""A day's small tasks in a real browser, on the demo data: the filer picks an owner from the
department's staff, types dates in a browser set to English, a reviewer reminds every late
department at once, twice in a day, and picks a department to filter the account list by."""

import re
from datetime import timedelta

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from approvals.models import AnnualConfirmation, Campaign, Filing, ManualReminderLog
from approvals.services.annual import confirmations_open
from registry.models import Account, Department, Staff

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the groups made by migrations are back for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def expect(locator):
    from playwright.sync_api import expect

    return expect(locator)


def _save(page) -> None:
    with page.expect_navigation():
        page.click("main form.card button[type=submit]")
    errors = page.locator(".invalid-feedback, .alert-danger").all_inner_texts()
    assert page.locator(".alert-success").count() == 1, errors


def test_the_filer_picks_the_owner_from_the_departments_staff(login, shots):
    person = (
        Staff.objects.filter(status=Staff.Status.ACTIVE)
        .exclude(post="")
        .select_related("department")
        .order_by("pk")
        .first()
    )
    department = person.department
    elsewhere = Staff.objects.exclude(department=department).filter(status="active").first()
    filer = login(f"filer_{department.code.lower()}")
    filer.goto(reverse("approvals:account_create"))
    filer.fill("#id_name", "新建的工作群")
    filer.fill("#id_owner_post", "")
    # Typing the start of the staff number lists the person, with number and post.
    filer.click("#id_owner_name")
    filer.keyboard.type(person.staff_number)
    options = filer.locator("#id_owner_name-staff option")
    expect(options).to_have_count(1)
    assert options.evaluate_all("os => os.map(o => [o.value, o.label])") == [
        [person.name, f"工号 {person.staff_number} · {person.post}"]
    ]
    shots.take(filer, "filer-staff-picker")
    # Another department's staff are never offered, by name or by number.
    filer.fill("#id_owner_name", "")
    filer.keyboard.type(elsewhere.staff_number)
    expect(options).to_have_count(0)
    # Picking the name fills the owner's post, which was empty.
    filer.fill("#id_owner_name", "")
    filer.keyboard.type(person.name)
    expect(options.first).to_have_attribute("value", person.name)
    filer.fill("#id_owner_name", person.name)
    filer.locator("#id_owner_name").dispatch_event("change")
    assert filer.input_value("#id_owner_post") == person.post
    filer.fill("#id_number", "688000001")
    filer.fill("#id_purpose", "布置日常工作")
    filer.select_option("#id_platform", "qq_group")
    filer.select_option("#id_naming_level", "department")
    filer.select_option("#id_category", "work_group")
    _save(filer)
    account = Account.objects.get(name="新建的工作群")
    assert (account.owner, account.owner_post) == (person, person.post)


def test_dates_read_and_typed_as_year_month_day_in_an_english_browser(login, shots):
    draft = Filing.objects.filter(state="draft").select_related("account__department").first()
    account = draft.account
    filer = login(f"filer_{account.department.code.lower()}", locale="en-US")
    filer.goto(reverse("approvals:account_edit", args=[account.pk]))
    assert filer.get_attribute("#id_created_on", "type") == "text"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", filer.input_value("#id_created_on"))
    filer.fill("#id_last_active_on", "2026年11月5日")
    filer.check("#id_rules_acknowledged")
    _save(filer)
    assert "2026-11-05" in filer.inner_text("main")
    shots.take(filer, "filer-dates-english-browser")
    account.refresh_from_db()
    assert account.last_active_on.isoformat() == "2026-11-05"


def test_the_reviewer_reminds_every_late_department_once_a_day(login, shots):
    reviewer = login("reviewer1")
    reviewer.goto(reverse("approvals:command_centre"))
    remind_all = reviewer.get_by_role("button", name="提醒所有逾期单位")
    with reviewer.expect_navigation():
        remind_all.click()
    first = reviewer.locator(".alert-success").inner_text()
    shots.take(reviewer, "reviewer-reminded-all")
    reminded = int(re.search(r"已提醒 (\d+) 个单位", first).group(1))
    assert reminded > 0
    departments = set(ManualReminderLog.objects.values_list("department_id", flat=True))
    assert len(departments) == reminded
    logged = ManualReminderLog.objects.count()
    # A second click the same day sends nothing again and says so.
    with reviewer.expect_navigation():
        remind_all.click()
    second = reviewer.locator(".alert-success").inner_text()
    assert re.search(r"已提醒 0 个单位", second), second
    assert re.search(rf"{reminded} 个单位今天已提醒过", second), second
    assert ManualReminderLog.objects.count() == logged


def test_a_department_answers_the_annual_review(login, shots):
    """The demo's annual review made the active campaign: the filer confirms two accounts from
    the review's page and one from its own page; the centre counts the answers."""
    today = timezone.localdate()
    Campaign.objects.filter(is_active=True).update(is_active=False)
    review = Campaign.objects.get(kind=Campaign.Kind.ANNUAL_REVIEW)
    Campaign.objects.filter(pk=review.pk).update(
        is_active=True,
        title=f"{today.year}年度新媒体账号年审",
        starts_on=today - timedelta(days=5),
        deadline=today + timedelta(days=10),
    )
    review.refresh_from_db()
    assert confirmations_open(review) > 0
    department = (
        AnnualConfirmation.objects.values("account__department__code")
        .annotate(n=Count("pk"))
        .filter(n__gte=3)
        .order_by("account__department__code")
        .first()["account__department__code"]
    )
    filer = login(f"filer_{department.lower()}")
    assert filer.locator("#annual-title").count() == 1
    shots.take(filer, "filer-annual-dashboard")
    with filer.expect_navigation():
        filer.get_by_role("link", name="去答复年审").click()
    boxes = filer.locator("input[name=confirmations]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    shots.take(filer, "filer-annual-review")
    with filer.expect_navigation():
        filer.get_by_role("button", name="确认所选：仍在使用，信息无误").click()
    assert "仍在使用，信息无误：已完成 2 个账号" in filer.inner_text(".alert-success")
    # One more, from its own page.
    mine = (
        AnnualConfirmation.objects.filter(state="pending", account__department__code=department)
        .select_related("account")
        .first()
    )
    filer.goto(mine.account.get_absolute_url())
    shots.take(filer, "filer-annual-account")
    with filer.expect_navigation():
        filer.locator("#confirmation-title ~ .card-body button[type=submit]").click()
    assert filer.locator(".alert-success").count() == 1
    mine.refresh_from_db()
    assert mine.state == "confirmed"
    reviewer = login("reviewer1")
    reviewer.goto(reverse("approvals:command_centre"))
    assert "年审答复" in reviewer.inner_text("main")
    shots.take(reviewer, "reviewer-annual-centre")


def test_the_reviewer_picks_a_department_by_typing_part_of_its_name(login, shots, settings):
    # The demo's few departments, as a province's many: the filter is the search box.
    settings.NEWMEDIA_DEPARTMENT_SELECT_MAX = 3
    colleges = list(Department.objects.filter(name__contains="学院").order_by("code")[:20])
    second = colleges[1]
    reviewer = login("reviewer1")
    reviewer.goto(reverse("approvals:account_list"))
    box = reviewer.locator("#id_department")
    box.click()
    reviewer.keyboard.type("无此单位")
    expect(reviewer.locator("#id_department-choices")).to_have_text("没有符合条件的单位。")
    box.fill("")
    reviewer.keyboard.type("学院")
    options = reviewer.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_text([f"{d.code} {d.name}" for d in colleges])
    reviewer.keyboard.press("ArrowDown")
    reviewer.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    shots.take(reviewer, "reviewer-department-picker")
    reviewer.keyboard.press("Enter")
    expect(box).to_have_value(f"{second.code} {second.name}")
    expect(reviewer.get_by_role("listbox")).to_be_hidden()
    with reviewer.expect_navigation():
        reviewer.keyboard.press("Enter")
    assert f"department={second.pk}" in reviewer.url
    expect(box).to_have_value(f"{second.code} {second.name}")
    shown = Account.objects.filter(department=second).count()
    assert shown > 0
    cells = reviewer.locator("main table tbody tr td:nth-child(2)")
    expect(cells).to_have_count(min(shown, 50))
    assert set(cells.all_inner_texts()) == {second.name}
    shots.take(reviewer, "reviewer-department-picked")
