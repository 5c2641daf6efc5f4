"""The browser tests: Debian's chromium driven by Playwright, against pytest-django's live server.

Locally they are skipped, saying why, when /usr/bin/chromium or Playwright is missing; with
CI=true they fail instead, so that CI never passes without them. Every page a test visits is
saved whole as a PNG under artifacts/screenshots/<test>/, which CI keeps.
"""

import io
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

from registry.models import Department, Staff
from registry.roles import FILER_GROUP
from registry.tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
# The flags the developer guide gives for Debian's chromium in a container without a screen.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
PASSWORD = "demo-2026"  # seed_demo's, for every login


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    return None


# Per test, not per session: while Playwright runs, this thread has an event loop, in which
# Django refuses ORM calls; the tests that come after must find none.
@pytest.fixture
def browser(_orm_beside_playwright):
    if reason := _missing():
        if os.environ.get("CI") == "true":
            pytest.fail(f"The browser tests must run in CI: {reason}")
        pytest.skip(f"Browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread, so Django would refuse the test's
    # own ORM calls as "async unsafe"; the live server answers in its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class Shots:
    """Numbered full-page screenshots of one test, in visiting order."""

    def __init__(self, folder: Path):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder, self.count = folder, 0

    def take(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request) -> Shots:
    folder = re.sub(r"\W+", "-", request.node.name).strip("-")
    return Shots(SCREENSHOTS / folder)


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*/*.png")):
        terminalreporter.write_line(f"Browser screenshots: {SCREENSHOTS}")


@pytest.fixture
def demo(browser, live_server):
    """The demo site (seed_demo's departments, users and accounts) behind the live server."""
    call_command("seed_demo", stdout=io.StringIO())
    return live_server


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def login(request, browser, demo, shots):
    """Log a user in through the login page, in a browser of their own (their own cookies).

    A script error, a blocked resource (the content security policy) or a static file that does
    not load fails the test. When the test fails, every such browser's page is saved as it was,
    to show where it stopped.
    """
    pages, errors = [], []

    def log_in(username: str, *, viewport=None, bypass_csp=False, locale="zh-CN"):
        context = browser.new_context(
            base_url=demo.url,
            viewport=viewport or {"width": 1280, "height": 900},
            locale=locale,
            bypass_csp=bypass_csp,
            # No collapse animations: a click lands on a form that is already where it stays.
            reduced_motion="reduce",
        )
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                errors.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                errors.append(f"{response.url}: {response.status}")
                if "/static/" in response.url and response.status >= 400
                else None
            ),
        )
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(f"{demo.url}/")
        pages.append((username, page))
        return page

    yield log_in
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for username, page in pages:
            shots.take(page, f"failed-{username}")
    elif report is not None:
        assert not errors, "\n".join(errors)


def new_department(*, code: str, name: str, staff: list[tuple[str, bool]], filer: str):
    """A department with staff (name, in post) and a filer who logs in with the demo password."""
    department = Department.objects.create(code=code, name=name, kind=Department.Kind.OFFICE)
    for n, (staff_name, active) in enumerate(staff):
        Staff.objects.create(
            staff_number=f"9{n:05d}",
            name=staff_name,
            department=department,
            post="科员",
            phone=f"1390000{n:04d}",
            status=Staff.Status.ACTIVE if active else Staff.Status.LEFT,
            left_on=None if active else date(2024, 7, 1),
        )
    user = UserFactory(username=filer, first_name=f"{name} 填报人")
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=FILER_GROUP))
    department.filers.add(user)
    return department
