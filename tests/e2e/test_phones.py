"""The main pages on a 375 px phone: the page itself never scrolls sideways (a wide table scrolls
inside its .table-responsive box), and axe-core finds no serious or critical accessibility
violation; the same for the dashboard on a desktop screen, where the menu is spelled out. Every
problem on every page is collected, so one run lists them all."""

import json

import pytest
from django.urls import reverse

from approvals.models import Campaign, DepartmentReturn, Filing
from cleanup.models import Roster

from .conftest import AXE

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the groups made by migrations are back for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 812}
# Sub-pixel rounding of borders may add a pixel; anything more is a real sideways scroll.
TOLERANCE = 1
SEVERE = ("serious", "critical")
# Each violation with the first few elements it was found on.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""
# What sticks out past the right edge, to fix when the page scrolls: anything but the inside of
# a table's scrolling box, where only absolutely placed pieces can escape.
OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => !e.parentElement.closest(".table-responsive")
    || getComputedStyle(e).position === "absolute")
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} → ${
    Math.round(e.getBoundingClientRect().right)}px`)"""


def _check(page, url: str, name: str, shots, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{name}: {url} answered {response.status}"
    page.wait_for_load_state("networkidle")
    shots.take(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"] + TOLERANCE:
        problems.append(f"{name} ({url}): {width}px wide: {page.evaluate(OVERFLOWING)}")
    page.add_script_tag(path=str(AXE))
    for violation in page.evaluate(AXE_RUN):
        if violation["impact"] in SEVERE:
            problems.append(f"{name} ({url}): {json.dumps(violation, ensure_ascii=False)}")


def test_the_main_pages_fit_a_phone_and_pass_axe(browser, login, demo, shots):
    problems: list[str] = []
    # axe is injected as a script of its own: the site's policy rightly allows none but its own.
    anonymous = browser.new_context(
        base_url=demo.url, viewport=PHONE, locale="zh-CN", bypass_csp=True
    ).new_page()
    _check(anonymous, "/login/", "login", shots, problems)

    roster = Roster.objects.select_related("account").get(is_current=True)
    department = roster.account.department
    draft = Filing.objects.filter(state="draft", account__department=department).first()
    filer = login(f"filer_{department.code.lower()}", viewport=PHONE, bypass_csp=True)
    for name, url in [
        ("filer-dashboard", reverse("approvals:dashboard")),
        ("filer-account-list", reverse("approvals:account_list")),
        ("filer-account", reverse("approvals:account_detail", args=[draft.account_id])),
        ("filer-account-form", reverse("approvals:account_edit", args=[draft.account_id])),
        ("filer-account-new", reverse("approvals:account_create")),
        ("filer-import", reverse("approvals:form_home")),
        ("filer-roster", reverse("cleanup:roster_detail", args=[roster.account_id])),
        (
            "filer-roster-to-remove",
            reverse("cleanup:roster_detail", args=[roster.account_id]) + "?mark=to_remove",
        ),
        ("filer-findings", reverse("cleanup:finding_list")),
    ]:
        _check(filer, url, name, shots, problems)

    submitted = Filing.objects.filter(state="submitted").first()
    sent_back = DepartmentReturn.objects.filter(state="returned").first()
    campaign = Campaign.objects.get(is_active=True)
    reviewer = login("reviewer1", viewport=PHONE, bypass_csp=True)
    pages = [
        ("reviewer-dashboard", reverse("approvals:dashboard")),
        ("reviewer-account-list", reverse("approvals:account_list")),
        ("reviewer-account", reverse("approvals:account_detail", args=[submitted.account_id])),
        ("reviewer-review-queue", reverse("approvals:review_queue")),
        ("reviewer-return-list", reverse("approvals:return_list")),
        ("reviewer-return", reverse("approvals:return_detail", args=[sent_back.pk])),
        ("reviewer-import", reverse("approvals:form_home")),
        ("reviewer-command-centre", reverse("approvals:command_centre")),
        ("reviewer-summary", reverse("approvals:summary", args=[campaign.pk])),
    ]
    for name, url in pages:
        _check(reviewer, url, name, shots, problems)

    # On a wider screen the menu is spelled out in the navbar: its links are checked there.
    desktop = login("reviewer1", bypass_csp=True)
    _check(desktop, reverse("approvals:dashboard"), "reviewer-dashboard-desktop", shots, problems)

    assert not problems, "\n".join(problems)
