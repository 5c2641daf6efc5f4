"""The reminders on a real broker: Celery workers in processes of their own, Redis, PostgreSQL.

Each test starts `celery -A newmedia worker` with the production settings module, the suite's
PostgreSQL test database and a Redis database of its own, publishes from this process as the web
process and the beat would, and reads what arrived: the email files the worker wrote (or what a
small SMTP server received), the reminder log and the broker's own queues. They run only on
PostgreSQL with Redis answering: a worker in another process cannot see SQLite's in-memory test
database, so `make test` skips them and CI's PostgreSQL pass runs them (with CI=true a missing
Redis fails them instead). NEWMEDIA_TEST_REDIS_URL names another Redis server than
redis://127.0.0.1:6379.

Where a test kills a worker it first makes it wait on a database lock that the test holds, and
kills it there: a kill at a random moment could fall between the mail server accepting a message
and the write that marks it sent, the one window where an email's fate is unknown (no system can
make a send and a database write one atomic step; docs/deployment.md says so). The claim written
before the send keeps that email from going again until NEWMEDIA_OUTBOX_REQUEUE_SECONDS have
passed; a database connection lost in that window is reconnected and the mark retried.
"""

import email
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from approvals.models import (
    AnnualConfirmation,
    Campaign,
    DepartmentReturn,
    EscalationLog,
    Filing,
    Notification,
    ReminderLog,
)
from approvals.services.annual import confirmations_open
from approvals.tasks import escalate_waiting, flush_outbox, sweep_reminders
from approvals.tests.factories import filing_in
from newmedia.tests.brokers import closed_port, publishing_to
from newmedia.tests.databases import second_connection
from registry.models import Department
from registry.roles import LEADER_GROUP, REVIEWER_GROUP
from registry.tests.factories import DepartmentFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BASE_DIR = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("NEWMEDIA_TEST_REDIS_URL", "redis://127.0.0.1:6379")
VISIBILITY_TIMEOUT = 10  # seconds; the least the settings accept
DAY = date(2027, 6, 1)  # a Tuesday, a week before the deadline: the 7-day milestone is due
DEADLINE = date(2027, 6, 8)
# The reminder's subject in Chinese, as the worker renders it (LANGUAGE_CODE's default).
SUBJECT = "{department}：距新媒体登记表报送截止还有 7 天"
# Redis databases these tests may take, one per run, so that two runs never share queues. A
# database is taken only if it is empty or was left by an earlier run (the marker says so).
REDIS_DATABASES = range(15, 7, -1)
MARKER = "newmedia-tests:celery-worker"
IN_USE = "newmedia-tests:in-use"

SKIP_SQLITE = (
    "needs PostgreSQL and Redis: a Celery worker runs in another process and cannot see "
    "SQLite's in-memory test database. CI runs these tests in its PostgreSQL pass "
    "(DATABASE_URL=postgres://…)."
)


# ------------------------------------------------------------------------------------------------
# The broker
# ------------------------------------------------------------------------------------------------


@dataclass
class Broker:
    """A Redis database of this run's own, and what its queues hold."""

    url: str
    client: redis.Redis

    def clear(self) -> None:
        """Empty the database of queues left by a previous test, keeping the claim."""
        self.client.expire(IN_USE, 600)
        for key in self.client.scan_iter():
            if key.decode() not in (MARKER, IN_USE):
                self.client.delete(key)

    def waiting(self) -> int:
        """Messages queued and not yet taken by a worker."""
        return sum(
            self.client.llen(key)
            for key in self.client.scan_iter("celery*")
            if self.client.type(key) == b"list"
        )

    def unacknowledged(self) -> dict[str, float]:
        """Messages a worker took and has not acknowledged: task id → when it was taken."""
        taken = dict(self.client.zrange("unacked_index", 0, -1, withscores=True))
        ids = {}
        for tag, payload in self.client.hgetall("unacked").items():
            message, _exchange, _routing_key = json.loads(payload)
            ids[message["headers"]["id"]] = taken.get(tag, 0.0)
        return ids

    def idle(self) -> bool:
        return self.waiting() == 0 and self.client.hlen("unacked") == 0


def _claim_redis_database() -> Broker:
    for number in REDIS_DATABASES:
        url = f"{REDIS_URL.rstrip('/')}/{number}"
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        if not client.set(IN_USE, os.getpid(), nx=True, ex=600):
            continue  # another run is using it
        if client.exists(MARKER) or client.dbsize() == 1:
            client.set(MARKER, "queues of approvals/tests/test_celery_worker.py; safe to delete")
            return Broker(url=url, client=client)
        client.delete(IN_USE)  # someone's data: leave it alone
    pytest.fail(f"No free Redis database among {list(REDIS_DATABASES)} at {REDIS_URL}")


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    """Redis for this module's tests; skips on SQLite, and without Redis outside CI."""
    if connection.vendor != "postgresql":
        pytest.skip(SKIP_SQLITE)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis does not answer at {REDIS_URL} ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the Celery worker tests")
        pytest.skip(message)
    claimed = _claim_redis_database()
    try:
        yield claimed
    finally:
        claimed.clear()
        claimed.client.delete(IN_USE)


# ------------------------------------------------------------------------------------------------
# Workers
# ------------------------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 60) -> "Worker":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"worker {self.name} exited with {self.process.returncode}:\n{self.tail()}"
                )
            if any(
                f"{self.name}@" in line and " ready." in line for line in self.output().splitlines()
            ):
                return self
            time.sleep(0.1)
        pytest.fail(f"worker {self.name} was not ready within {timeout} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, acknowledging nothing, as in a power cut."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def ran(self, task: str) -> int:
        """How many times this worker finished the task (succeeded or retried)."""
        return sum(
            f"Task {task}[" in line and (" succeeded in " in line or " retry: " in line)
            for line in self.output().splitlines()
        )

    def sent(self) -> int:
        """How many emails this worker's runs of the sending task sent (the task returned True)."""
        return sum(
            "Task approvals.tasks.send_notification_email[" in line and line.endswith(": True")
            for line in self.output().splitlines()
        )

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


@dataclass
class Site:
    """What the workers share: the broker, the database and the mail folder."""

    broker: Broker
    root: Path
    database_url: str
    workers: list[Worker] = field(default_factory=list)

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    def environment(self, **overrides: str) -> dict[str, str]:
        kept = {
            name: value
            for name, value in os.environ.items()
            if name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
        }
        return {
            **kept,
            "PYTHONPATH": str(BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "newmedia.settings.base",  # production's, not the tests'
            "SECRET_KEY": "celery-worker-test-not-a-secret",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker.url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail),
            "MEDIA_ROOT": str(self.root / "media"),
            "NEWMEDIA_MAIL_RETRY_BACKOFF": "1",
            **overrides,
        }

    def start_worker(self, name: str, **environment: str) -> Worker:
        """Start a worker; call ``wait_ready()`` on it before relying on it."""
        log = self.root / f"worker-{name}.log"
        celery = Path(sys.executable).parent / "celery"
        command = [
            str(celery),
            "-A",
            "newmedia",
            "worker",
            "-P",
            "solo",
            "-n",
            f"{name}@%h",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.environment(**environment),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name=name, process=process, log=log)
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        workers = "\n".join(f"--- worker {w.name} ---\n{w.tail()}" for w in self.workers)
        return f"{workers}\n--- the database's sessions ---\n{_sessions()}"

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"waited {timeout} s for {what}\n{self.logs()}")
            time.sleep(0.05)

    def wait_until_settled(self, expected_emails: int, timeout: float = 30) -> None:
        """Until every email owed is sent and the broker holds nothing, twice in a row: a message
        between the queue and the worker's unacknowledged set is in neither for an instant."""

        def settled():
            if len(delivered(self.mail)) < expected_emails or not self.broker.idle():
                return False
            time.sleep(0.3)
            return self.broker.idle()

        self.wait_for(settled, f"{expected_emails} emails and an empty broker", timeout)


@contextmanager
def _running(broker: Broker, root: Path, monkeypatch) -> Iterator[Site]:
    broker.clear()
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery would prefer it to ours
    parts = urlsplit(os.environ["DATABASE_URL"])
    # pytest-django's test database (test_<name>), which the workers must share.
    name = quote(connection.settings_dict["NAME"])
    database_url = parts._replace(path=f"/{name}").geturl()
    running = Site(broker=broker, root=root, database_url=database_url)
    try:
        with publishing_to(broker.url):
            yield running
    finally:
        for worker in running.workers:
            worker.stop()
        broker.clear()


@pytest.fixture
def site(broker, tmp_path, monkeypatch) -> Iterator[Site]:
    """Workers against this test's database and broker; this process publishes to the broker."""
    with _running(broker, tmp_path, monkeypatch) as running:
        yield running


@dataclass
class RedisServer:
    """A redis-server of the test's own, on a spare port, that the test may stop and restart."""

    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(shutil.which("redis-server"), "--port", str(self.port)),
                *("--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not answer on port {self.port}")
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGKILL: Redis goes away at once, with whatever it held (it keeps nothing on disk)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis_site(tmp_path, monkeypatch) -> Iterator[tuple[Site, RedisServer]]:
    """Workers on a Redis this test starts and stops itself, never the machine's."""
    if connection.vendor != "postgresql":
        pytest.skip(SKIP_SQLITE)
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed: CI must run the broker-loss tests")
        pytest.skip("redis-server is not installed")
    server = RedisServer(port=closed_port())
    server.start()
    own = Broker(url=server.url, client=redis.Redis.from_url(server.url, socket_connect_timeout=1))
    try:
        with _running(own, tmp_path, monkeypatch) as running:
            yield running, server
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------------
# Mail and data
# ------------------------------------------------------------------------------------------------

SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file backend writes after each message


def delivered(folder: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every complete message the file backend wrote."""
    found = []
    for path in sorted(folder.glob("*.log")) if folder.exists() else []:
        *complete, _partial = path.read_bytes().split(SEPARATOR)
        found += [_summary(raw) for raw in complete]
    return found


def _summary(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw)
    # Django folds a long encoded subject onto the next line; decoding it whole gives it back.
    return message["To"], str(make_header(decode_header(message["Subject"])))


def _campaign() -> Campaign:
    return Campaign.objects.create(
        title="2027年新媒体、微信和QQ工作群清理整治专项行动",
        starts_on=DAY - timedelta(days=30),
        deadline=DEADLINE,
        is_active=True,
    )


def _filer(department, username: str, **fields):
    user = UserFactory(**{"username": username, "email": f"{username}@example.edu.cn", **fields})
    department.filers.add(user)
    return user


def _handed_in(campaign, department, state="handed_in"):
    return DepartmentReturn.objects.create(
        campaign=campaign,
        department=department,
        **{"state": state},  # written straight to the table: the state is what matters here
        scan="returns/stamped.pdf",
        handed_in_at=timezone.now(),
    )


def _late_departments(count: int) -> set[tuple[str, str]]:
    """``count`` departments with one filer each and nothing handed in: (email, subject) owed."""
    departments = Department.objects.bulk_create(
        Department(code=f"L{n:03d}", name=f"迟交学院{n:03d}", kind=Department.Kind.COLLEGE)
        for n in range(count)
    )
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"late{n:03d}", email=f"late{n:03d}@example.edu.cn")
        for n in range(count)
    )
    Department.filers.through.objects.bulk_create(
        Department.filers.through(department=d, user=u)
        for d, u in zip(departments, users, strict=True)
    )
    return {
        (u.email, SUBJECT.format(department=d.name))
        for d, u in zip(departments, users, strict=True)
    }


@contextmanager
def holding(*statements: str) -> Iterator[psycopg.Connection]:
    """Run statements in a transaction of another connection and keep its locks until the end."""
    with second_connection() as side:
        side.execute("SET lock_timeout = '20s'")
        for statement in statements:
            side.execute(statement)
        try:
            yield side
        finally:
            side.rollback()


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _sessions() -> str:
    """What every other session of the test database is doing, for a failure's report."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, xact_start, left(query, 160) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return "\n".join(" | ".join(map(str, row)) for row in cursor.fetchall())


CLAIM = 'UPDATE "approvals_notification" SET "email_claimed_at"'


def _blocked_by(side: psycopg.Connection) -> str | None:
    """The statement of a session that waits on a lock the side connection holds, if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity "
            "WHERE datname = current_database() AND %s = ANY(pg_blocking_pids(pid))",
            [side.info.backend_pid],
        )
        row = cursor.fetchone()
        return row[0] if row else None


@contextmanager
def _waiting_to_claim(site: "Site") -> Iterator[psycopg.Connection]:
    """Lock every email nobody has claimed yet, until the worker waits to claim the next one.

    The email being sent is not locked, so the worker marks it and then waits, before it sends
    the next. Unless the claim of the one being sent committed while the SELECT ran: PostgreSQL
    then locks the row's new version before it finds that the row no longer matches, and keeps
    the lock, so that the worker waits to mark what it has sent. The locks are let go then (the
    worker marks it and goes on) and taken again.
    """
    for _attempt in range(20):
        with holding(
            "SELECT id FROM approvals_notification "
            "WHERE email_sent_at IS NULL AND email_claimed_at IS NULL FOR UPDATE"
        ) as side:
            site.wait_for(lambda: _blocked_by(side), "the worker to wait on a locked email")
            if _blocked_by(side).startswith(CLAIM):
                yield side
                return
    pytest.fail(f"the worker never waited to claim an email\n{site.logs()}")


def _sent() -> int:
    return Notification.objects.filter(email_sent_at__isnull=False).count()


def _wait_out_visibility_timeout(site: Site) -> None:
    """Until Redis would hand the dead worker's message to the next worker that starts.

    kombu puts unacknowledged messages older than the visibility timeout back in the queue when
    a worker starts, and about every 100 s after that; waiting it out keeps the test short.
    """
    taken = site.broker.unacknowledged()
    assert len(taken) == 1, f"the killed worker held {len(taken)} messages"
    ready_at = max(taken.values()) + VISIBILITY_TIMEOUT + 0.5
    time.sleep(max(0.0, ready_at - time.time()))


# ------------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------------


def test_it_sends_each_owed_reminder_once_through_the_broker(site):
    worker = site.start_worker("one")
    campaign = _campaign()
    owed = set()
    for n in range(3):  # nothing handed in, no accounts
        department = DepartmentFactory(name=f"会计学院{n}")
        filer = _filer(department, f"kj{n}")
        owed.add((filer.email, SUBJECT.format(department=department.name)))
    open_accounts = DepartmentFactory(name="财税金融学院")  # handed in, but an account is a draft
    _handed_in(campaign, open_accounts)
    filing_in(Filing.State.DRAFT, department=open_accounts)
    filer = _filer(open_accounts, "cs")
    owed.add((filer.email, SUBJECT.format(department=open_accounts.name)))
    _filer(open_accounts, "cs_left", is_active=False)  # inactive: not reminded
    in_progress = DepartmentFactory(name="信息工程学院")
    DepartmentReturn.objects.create(campaign=campaign, department=in_progress)
    no_address = _filer(in_progress, "xx", email="")  # told on the dashboard only
    done = []
    for n, state in enumerate(["handed_in", "handed_in", "accepted"]):
        department = DepartmentFactory(name=f"已交部门{n}")
        _handed_in(campaign, department, state)
        filing_in(Filing.State.REGISTERED, department=department)
        done.append(_filer(department, f"done{n}"))

    worker.wait_ready()
    sweep_reminders.delay(DAY.isoformat())
    site.wait_until_settled(len(owed))

    assert Counter(delivered(site.mail)) == Counter(owed)  # each exactly once, nothing else
    reminded = set(ReminderLog.objects.values_list("recipient__username", flat=True))
    assert reminded == {"kj0", "kj1", "kj2", "cs", "xx"}
    assert ReminderLog.objects.filter(milestone=7, campaign=campaign).count() == 5
    assert Notification.objects.get(recipient=no_address).email_to == ""
    assert not Notification.objects.filter(recipient__in=done).exists()
    assert not Notification.objects.exclude(email_to="").filter(email_sent_at=None).exists()
    assert worker.ran("approvals.tasks.sweep_reminders") == 1
    assert worker.ran("approvals.tasks.send_notification_email") == len(owed)


def test_an_annual_review_reminds_through_the_broker_who_has_not_answered_once(site):
    """年审 end to end on the real worker: the sweep opens the confirmations, reminds each
    department with accounts unanswered once, and after the answers, nobody again."""
    worker = site.start_worker("annual")
    campaign = Campaign.objects.create(
        kind=Campaign.Kind.ANNUAL_REVIEW,
        title="2027年度新媒体账号年审",
        starts_on=DAY - timedelta(days=30),
        deadline=DEADLINE,
        is_active=True,
    )
    late = DepartmentFactory(name="会计学院")
    filing_in(Filing.State.REGISTERED, department=late)
    filing_in(Filing.State.APPROVED, department=late)
    late_filer = _filer(late, "kj")
    answered = DepartmentFactory(name="宣传统战处")
    kept = filing_in(Filing.State.REGISTERED, department=answered)
    _filer(answered, "xc")
    confirmations_open(campaign)
    AnnualConfirmation.objects.filter(account=kept.account).update(state="confirmed")

    worker.wait_ready()
    sweep_reminders.delay(DAY.isoformat())
    site.wait_until_settled(1)

    subject = "会计学院：年审确认还剩 7 天"
    assert delivered(site.mail) == [(late_filer.email, subject)]
    assert set(ReminderLog.objects.values_list("recipient__username", flat=True)) == {"kj"}
    # The department answers; the next milestone reminds nobody, and the first is not resent.
    AnnualConfirmation.objects.filter(account__department=late).update(state="confirmed")
    sweep_reminders.delay((DEADLINE - timedelta(days=3)).isoformat())
    site.wait_for(lambda: worker.ran("approvals.tasks.sweep_reminders") == 2, "the second sweep")
    assert delivered(site.mail) == [(late_filer.email, subject)]
    assert ReminderLog.objects.count() == 1


def test_a_sweep_killed_inside_its_transaction_runs_again_and_sends_everything_once(site):
    first = site.start_worker("first")
    _campaign()
    owed = _late_departments(20)
    first.wait_ready()
    # The sweep writes its notifications, then waits to write the reminder log.
    with holding("LOCK TABLE approvals_reminderlog IN SHARE MODE"):
        sweep_reminders.delay(DAY.isoformat())
        site.wait_for(_waiting_on_a_lock, "the sweep to wait for the reminder log")
        first.kill()
    assert not Notification.objects.exists()  # rolled back with the dead worker's transaction
    assert delivered(site.mail) == []

    _wait_out_visibility_timeout(site)
    second = site.start_worker("second").wait_ready()  # Redis hands it the sweep again
    site.wait_until_settled(len(owed))

    assert Counter(delivered(site.mail)) == Counter(owed)
    assert ReminderLog.objects.count() == len(owed)
    assert second.ran("approvals.tasks.sweep_reminders") == 1


def test_a_worker_killed_while_sending_leaves_the_rerun_exactly_what_was_owed(site):
    first = site.start_worker("first")
    _campaign()
    owed = _late_departments(50)
    first.wait_ready()
    sweep_reminders.delay(DAY.isoformat())
    site.wait_for(lambda: delivered(site.mail), "the first email")
    with _waiting_to_claim(site) as side:
        first.kill()
        unsent = side.execute(
            "SELECT count(*) FROM approvals_notification WHERE email_sent_at IS NULL"
        ).fetchone()[0]
    sent_before = _sent()
    assert len(delivered(site.mail)) == sent_before  # no email is between sending and its mark
    assert 0 < sent_before < len(owed) and sent_before + unsent == len(owed)
    assert ReminderLog.objects.count() == len(owed)

    # Redis restarts too and loses its queues (the machine's Redis keeps nothing on disk): only
    # the database knows what is owed now.
    site.broker.clear()
    # The rerun comes with the next hourly sweep: by then the emails queued before and still
    # unsent count as lost (NEWMEDIA_OUTBOX_REQUEUE_SECONDS), and are queued again. The dead
    # worker's claim of the email it waited for may have landed after all (PostgreSQL finishes a
    # statement whose client died): it too has expired an hour later.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    unsent_rows = Notification.objects.filter(email_sent_at__isnull=True)
    unsent_rows.update(email_queued_at=an_hour_ago)
    unsent_rows.filter(email_claimed_at__isnull=False).update(email_claimed_at=an_hour_ago)
    second = site.start_worker("second").wait_ready()
    sweep_reminders.delay(DAY.isoformat())
    site.wait_until_settled(len(owed))

    assert Counter(delivered(site.mail)) == Counter(owed)  # none missing, none twice
    assert _sent() == len(owed) == ReminderLog.objects.count()
    assert second.ran("approvals.tasks.send_notification_email") == unsent


def test_two_workers_sweeping_at_once_send_each_reminder_once(site):
    workers = [site.start_worker("left"), site.start_worker("right")]
    _campaign()
    owed = _late_departments(30)
    for worker in workers:
        worker.wait_ready()
    sweep_reminders.delay(DAY.isoformat())
    sweep_reminders.delay(DAY.isoformat())
    site.wait_until_settled(len(owed))

    assert [w.ran("approvals.tasks.sweep_reminders") for w in workers] == [1, 1]
    assert Counter(delivered(site.mail)) == Counter(owed)
    assert ReminderLog.objects.count() == len(owed)
    # The second sweep queued again whatever the first had not sent yet, and those tasks ran on
    # both workers at once: each email still went out from exactly one run.
    assert sum(w.sent() for w in workers) == len(owed)
    assert sum(w.ran("approvals.tasks.send_notification_email") for w in workers) >= len(owed)


def test_a_submission_while_redis_is_down_is_saved_and_its_email_sent_once_redis_is_back(
    site, client_for, filer, department
):
    worker = site.start_worker("one")
    reviewer = UserFactory(username="reviewer", email="reviewer@example.edu.cn")
    reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    filing = filing_in(Filing.State.DRAFT, department=department, name="会计学院教职工工作群")
    url = reverse("approvals:account_transition", args=[filing.account_id, "submit"])

    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        response = client_for(filer).post(url, {"submit-comment": "请审核"})
        took = time.monotonic() - started
    assert response.status_code == 302, response.content.decode()[:500]
    assert client_for(filer).get(response["Location"]).status_code == 200
    assert took < 2  # one short publish attempt, not the broker's connect timeout
    assert Filing.objects.get(pk=filing.pk).state == Filing.State.SUBMITTED
    notice = Notification.objects.get(recipient=reviewer)
    assert notice.email_sent_at is None

    assert notice.email_queued_at is None  # left to the flush

    # Redis is back: the worker queues the flush as it connects, and the mail goes out.
    worker.wait_ready()
    site.wait_until_settled(1)
    flush_outbox.delay()  # and the beat's next flush finds nothing owed
    site.wait_for(lambda: worker.ran("approvals.tasks.flush_outbox") == 2, "the second flush")
    site.wait_until_settled(1)

    assert [to for to, _subject in delivered(site.mail)] == ["reviewer@example.edu.cn"]
    assert "会计学院教职工工作群" in delivered(site.mail)[0][1]
    assert Notification.objects.get(pk=notice.pk).email_sent_at is not None


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: refuses MAIL FROM with a 451 until told to accept."""

    def reply(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def handle(self):
        server = self.server
        self.reply(b"220 mail.example.edu.cn ESMTP")
        data, lines = False, []
        for raw in self.rfile:
            line = raw.rstrip(b"\r\n")
            if data:
                if line == b".":
                    server.messages.append(b"\r\n".join(lines))
                    if server.on_message is not None:
                        server.on_message()  # before the 250: the sender still waits for it
                    data, lines = False, []
                    self.reply(b"250 2.0.0 queued")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply(b"250 mail.example.edu.cn")
            elif verb == b"MAIL":
                server.attempts += 1
                self.reply(b"250 2.1.0 ok" if server.accepting else b"451 4.3.0 try again later")
            elif verb == b"DATA":
                data = True
                self.reply(b"354 go ahead")
            elif verb == b"QUIT":
                self.reply(b"221 bye")
                return
            else:  # RCPT, RSET, NOOP
                self.reply(b"250 ok")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.accepting = False
        self.attempts = 0
        self.messages: list[bytes] = []
        self.on_message: Callable[[], None] | None = None


@pytest.fixture
def smtp_server() -> Iterator[_SMTPServer]:
    server = _SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_refusing_mail_server_gets_the_reminder_retried_with_back_off_and_sent_once(
    site, smtp_server
):
    worker = site.start_worker(
        "one",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.server_address[1]),
    )
    _campaign()
    department = DepartmentFactory(name="会计学院")
    filer = _filer(department, "kj")
    worker.wait_ready()
    sweep_reminders.delay(DAY.isoformat())

    def refused_twice():
        notice = Notification.objects.filter(recipient=filer).first()
        return notice is not None and notice.email_attempts >= 2

    site.wait_for(refused_twice, "a refusal and a retry")
    notice = Notification.objects.get(recipient=filer)
    assert notice.email_sent_at is None  # not marked sent
    assert "451" in notice.email_error and "try again later" in notice.email_error
    assert smtp_server.messages == [] and smtp_server.attempts >= 2
    # Celery schedules each retry after a growing countdown (NEWMEDIA_MAIL_RETRY_BACKOFF=1 here).
    assert "Task approvals.tasks.send_notification_email[" in worker.output()
    assert " retry: Retry in " in worker.output()

    smtp_server.accepting = True
    site.wait_for(
        lambda: Notification.objects.filter(pk=notice.pk, email_sent_at__isnull=False).exists(),
        "the retry that gets through",
    )
    site.wait_for(site.broker.idle, "an empty broker")
    assert [_summary(raw) for raw in smtp_server.messages] == [
        (filer.email, SUBJECT.format(department="会计学院"))
    ]


WORKER_CONNECTION = "newmedia-test-worker"  # the application_name of the worker's connections


def _terminate_worker_connections() -> int:
    """pg_terminate_backend on the worker's database connections, from a connection of ours."""
    with holding() as side:
        return side.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            [WORKER_CONNECTION],
        ).fetchone()[0]


def test_a_database_connection_dropped_between_send_and_mark_sends_no_email_twice(
    site, smtp_server
):
    """Item 8 of issue 14: the mark failed with the connection, and the flush sent it again."""
    terminated = []

    def drop_the_workers_connection():
        if len(smtp_server.messages) <= 3:  # the first three emails
            terminated.append(_terminate_worker_connections())

    smtp_server.accepting = True
    smtp_server.on_message = drop_the_workers_connection
    worker = site.start_worker(
        "one",
        DATABASE_URL=f"{site.database_url}?application_name={WORKER_CONNECTION}",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.server_address[1]),
    )
    _campaign()
    owed = _late_departments(6)
    worker.wait_ready()
    sweep_reminders.delay(DAY.isoformat())
    site.wait_for(lambda: _sent() == len(owed), "every email marked sent", timeout=60)
    assert terminated == [1, 1, 1]  # each time, the worker's one connection was cut

    # Later flushes (here one, with every email counting as queued long ago) find nothing owed.
    Notification.objects.update(email_queued_at=timezone.now() - timedelta(hours=1))
    flush_outbox.delay()
    site.wait_for(lambda: worker.ran("approvals.tasks.flush_outbox") == 2, "the flush")
    site.wait_for(site.broker.idle, "an empty broker")

    assert Counter(_summary(raw) for raw in smtp_server.messages) == Counter(owed)  # 0 twice
    assert _sent() == len(owed)  # 0 lost
    notices = Notification.objects.order_by("email_sent_at")
    assert [n.email_attempts for n in notices] == [1] * len(owed)  # each claimed once
    late = [n for n in notices if n.email_error.startswith("sent; recording it failed first")]
    assert len(late) == 3 and all("terminat" in n.email_error for n in late)


def test_a_bulk_review_of_50_with_redis_stopped_lists_every_row_and_sends_each_email_once_after(
    own_redis_site, client_for
):
    """Item 7 of issue 14: each row waited 2 s for the broker; the 16th passed gunicorn's 30 s."""
    site, redis_server = own_redis_site
    worker = site.start_worker("one").wait_ready()
    reviewer = UserFactory(username="reviewer", email="reviewer@example.edu.cn")
    reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    _late_departments(50)  # one filer each, who hears of the decision
    filings = [
        filing_in(Filing.State.SUBMITTED, department=d, name=f"工作群{d.code}")
        for d in Department.objects.order_by("code")
    ]

    redis_server.stop()
    started = time.monotonic()
    response = client_for(reviewer).post(
        reverse("approvals:review_queue"),
        {"action": "register", "filings": [f.pk for f in filings], "comment": "同意"},
    )
    took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 15, took  # gunicorn's timeout is 30 s
    page = client_for(reviewer).get(response["Location"]).content.decode()
    assert all(f"工作群{f.account.department.code}" in page for f in filings)
    assert set(Filing.objects.values_list("state", flat=True)) == {Filing.State.REGISTERED}
    assert Notification.objects.filter(email_queued_at__isnull=True).count() == 50
    assert delivered(site.mail) == []

    # Redis comes back empty. No beat runs here: the worker reconnects and queues the flush.
    redis_server.start()
    site.wait_until_settled(50, timeout=90)
    recipients = Counter(to for to, _subject in delivered(site.mail))
    assert recipients == Counter(f"late{n:03d}@example.edu.cn" for n in range(50))
    assert _sent() == 50
    assert worker.ran("approvals.tasks.flush_outbox") >= 2  # on starting, and on reconnecting


def _queued_tasks(broker: Broker) -> list[str]:
    """The names of the tasks waiting in the default queue, oldest first."""
    messages = broker.client.lrange("celery", 0, -1)
    return [json.loads(raw)["headers"]["task"] for raw in reversed(messages)]


def test_the_first_publish_that_gets_through_after_a_failure_also_queues_the_flush(
    site, client_for, filer, department, settings
):
    """Item 9 of issue 14: what was left while the broker was down waited for the beat."""
    settings.NEWMEDIA_PUBLISH_PAUSE_SECONDS = 1
    reviewer = UserFactory(username="reviewer", email="reviewer@example.edu.cn")
    reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    first, second = (filing_in(Filing.State.DRAFT, department=department) for _ in range(2))

    def submit(filing):
        url = reverse("approvals:account_transition", args=[filing.account_id, "submit"])
        assert client_for(filer).post(url, {}).status_code == 302

    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        submit(first)  # the broker is down: the notification waits, unqueued
    time.sleep(1.1)  # the pause is over
    submit(second)  # the broker answers: this one's email, then the flush
    assert _queued_tasks(site.broker) == [
        "approvals.tasks.send_notification_email",
        "approvals.tasks.flush_outbox",
    ]

    worker = site.start_worker("one").wait_ready()
    site.wait_until_settled(2)
    assert sorted(subject for _to, subject in delivered(site.mail)) == sorted(
        Notification.objects.values_list("subject", flat=True)
    )
    assert _sent() == 2
    assert worker.ran("approvals.tasks.send_notification_email") >= 2


def test_two_workers_escalating_at_once_remind_each_assignee_once_a_day(site):
    """Time travel by the task's day: a submission has waited since a Tuesday; on the next
    Monday (four working days on) both workers run the escalation at once, and each reviewer
    gets one reminder; the digest to the leader follows on Wednesday (six working days)."""
    workers = [site.start_worker("left"), site.start_worker("right")]
    department = DepartmentFactory(name="会计学院")
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    waited = timezone.make_aware(datetime(2026, 12, 1, 10))
    Filing.objects.filter(pk=filing.pk).update(state_changed_at=waited)
    reviewers = [
        UserFactory(username=f"reviewer{n}", email=f"reviewer{n}@example.edu.cn") for n in range(2)
    ]
    for user in reviewers:
        user.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    leader = UserFactory(username="leader", email="leader@example.edu.cn")
    leader.groups.add(Group.objects.get(name=LEADER_GROUP))
    for worker in workers:
        worker.wait_ready()
    monday, wednesday = date(2026, 12, 7), date(2026, 12, 9)
    escalate_waiting.delay(monday.isoformat())
    escalate_waiting.delay(monday.isoformat())
    site.wait_until_settled(2)
    assert sorted(to for to, _subject in delivered(site.mail)) == [u.email for u in reviewers]
    escalate_waiting.delay(wednesday.isoformat())
    site.wait_until_settled(5)
    recipients = Counter(to for to, _subject in delivered(site.mail))
    assert recipients == Counter({**{u.email: 2 for u in reviewers}, leader.email: 1})
    assert EscalationLog.objects.filter(day=wednesday, to_leader=True).count() == 1
    assert sum(w.ran("approvals.tasks.escalate_waiting") for w in workers) == 3
