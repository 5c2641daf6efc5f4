"""Scaling out (docs/deployment.md): two gunicorn instances and two Celery workers against one
PostgreSQL and one Redis, under the writes of filers and reviewers at once.

Filers submit their drafts through both web servers while two sweeps run on the two workers;
then two reviewers, each on a server of their own, return every submission at the same moment.
No answer is a 500; each filing is returned once and the other reviewer is told someone acted
first (409: the optimistic lock holds across processes); each filer gets the day's reminder
once; every e-mail goes out once. Runs in CI's PostgreSQL pass (the worker tests' fixtures),
in well under a minute."""

import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import Group
from django_fsm_log.models import StateLog

from approvals.models import Filing, Notification, ReminderLog
from approvals.tasks import sweep_reminders
from approvals.tests import test_celery_worker as worker_tests
from approvals.tests.factories import filing_in
from registry.roles import FILER_GROUP, REVIEWER_GROUP
from registry.tests.factories import DepartmentFactory, UserFactory

broker, site = worker_tests.broker, worker_tests.site  # the fixtures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pw-for-tests"  # UserFactory's
DEPARTMENTS = 4
DRAFTS = 3  # per department


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Web:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _serve(site, name: str) -> Web:
    port = _free_port()
    log = site.root / f"web-{name}.log"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(gunicorn), "newmedia.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2"],
            cwd=worker_tests.BASE_DIR,
            env=site.environment(ALLOWED_HOSTS="127.0.0.1", NEWMEDIA_SITE_URL="http://site"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    web = Web(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{web.url}/healthz", timeout=5).status_code == 200:
                return web
        except requests.RequestException:
            time.sleep(0.2)
    web.stop()
    pytest.fail(f"gunicorn {name} did not answer:\n{log.read_text(errors='replace')}")


@pytest.fixture
def webs(site):
    started = [_serve(site, "a"), _serve(site, "b")]
    yield started
    for web in started:
        web.stop()


class Browser:
    """One person's session on one web server, posting forms as a browser does."""

    def __init__(self, web: Web, username: str, statuses: Counter):
        self.web, self.statuses = web, statuses
        self.session = requests.Session()
        self.session.get(f"{web.url}/login/", timeout=30)
        answer = self.post("/login/", {"username": username, "password": PASSWORD})
        assert answer.status_code == 302, f"{username} could not log in ({answer.status_code})"

    def post(self, path: str, data: dict) -> requests.Response:
        token = self.session.cookies["csrftoken"]
        answer = self.session.post(
            f"{self.web.url}{path}",
            data={**data, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=60,
        )
        self.statuses[answer.status_code] += 1
        return answer

    def step(self, filing: Filing, name: str, expected: str, comment: str = "") -> int:
        path = f"/accounts/{filing.account_id}/transition/{name}/"
        fields = {f"{name}-expected_state": expected, f"{name}-comment": comment}
        return self.post(path, fields).status_code


def _people():
    """Filers with drafts in their departments, and two reviewers; their passwords hashed as
    production hashes them (the tests' fast hasher is not among production's)."""
    filers, drafts = [], {}
    for n in range(DEPARTMENTS):
        department = DepartmentFactory(name=f"学院{n}")
        filer = UserFactory(username=f"filer{n}", email=f"filer{n}@example.edu.cn")
        filer.groups.add(Group.objects.get(name=FILER_GROUP))
        department.filers.add(filer)
        filers.append(filer)
        drafts[filer.username] = [
            filing_in(Filing.State.DRAFT, department=department, name=f"学院{n}工作群{d}")
            for d in range(DRAFTS)
        ]
    reviewers = []
    for n in range(2):
        reviewer = UserFactory(username=f"reviewer{n}", email=f"reviewer{n}@example.edu.cn")
        reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
        reviewers.append(reviewer)
    return filers, drafts, reviewers


def _at_once(jobs) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_two_web_servers_and_two_workers_lose_and_double_nothing(site, webs, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    worker_tests._campaign()
    filers, drafts, reviewers = _people()
    workers = [site.start_worker(name) for name in ("one", "two")]
    for worker in workers:
        worker.wait_ready()
    statuses: Counter = Counter()

    def file_all(n: int, filer) -> None:
        browser = Browser(webs[n % 2], filer.username, statuses)
        for filing in drafts[filer.username]:
            assert browser.step(filing, "submit", "draft") == 302

    def sweep() -> None:
        sweep_reminders.delay(worker_tests.DAY.isoformat())

    started = time.monotonic()
    _at_once([*(lambda n=n, f=f: file_all(n, f) for n, f in enumerate(filers)), sweep, sweep])

    submitted = list(Filing.objects.filter(state=Filing.State.SUBMITTED))
    assert len(submitted) == DEPARTMENTS * DRAFTS
    sessions = [Browser(webs[n], r.username, statuses) for n, r in enumerate(reviewers)]
    outcomes: dict[int, list[int]] = {f.pk: [] for f in submitted}
    barrier = threading.Barrier(2)

    def review(browser: Browser) -> None:
        for filing in submitted:
            barrier.wait(timeout=60)  # both reviewers post the same filing at the same moment
            code = browser.step(filing, "return_for_revision", "submitted", "请补充职务")
            outcomes[filing.pk].append(code)

    _at_once([lambda b=b: review(b) for b in sessions])

    # The optimistic lock across processes: one return each, the other reviewer told (409).
    assert all(sorted(codes) == [302, 409] for codes in outcomes.values()), outcomes
    assert set(Filing.objects.values_list("state", flat=True)) == {Filing.State.RETURNED}
    returned = Counter(
        StateLog.objects.filter(transition="return_for_revision").values_list(
            "object_id", flat=True
        )
    )
    assert sorted(returned.values()) == [1] * len(submitted)
    assert statuses[500] == 0 and set(statuses) <= {200, 302, 409}, statuses

    # Each filer reminded once, whichever worker swept; every e-mail sent once.
    site.wait_for(lambda: ReminderLog.objects.count() == DEPARTMENTS, "the reminders")
    owed = Notification.objects.exclude(email_to="").count()
    site.wait_until_settled(owed, timeout=60)
    mails = worker_tests.delivered(site.mail)
    assert (
        len(mails) == owed
        and not Notification.objects.filter(email_sent_at__isnull=True)
        .exclude(email_to="")
        .exists()
    )
    reminders = Counter(to for to, subject in mails if re.search("距.*截止还有 7 天", subject))
    assert reminders == Counter(f.email for f in filers)
    assert time.monotonic() - started < 90
