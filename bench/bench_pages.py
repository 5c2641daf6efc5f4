"""Requests per second and p50/p99 latency of the account list, the dashboard, the reviewer's
command centre (as it opens, and filtered and sorted by blocking findings) and the review queue,
served by gunicorn on 127.0.0.1 over a fresh SQLite database (by default 40
departments and 10,000 accounts), side by side with two references measured on the same server in
the same run:

* ``/healthz``, a trivial view: the ceiling of this server on this machine;
* ``/admin/registry/account/``, the Django admin's changelist of the same accounts at the same
  page size: what an office would otherwise use.

Targets (``TARGETS``): every page faster than the admin changelist, and each at least its share
of the trivial view's throughput (the account list 0.04, the dashboard 0.05, the command centre
0.03 either way, the review queue 0.04), at scale with ``make bench-centre`` (1,000 departments,
100,000 accounts) on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_pages.py [--departments 40] [--accounts 10000] [--requests 800]
                                          [--concurrency 4] [--workers 2] [--rounds 8] [--profile 0]

Prints a table and the target checks, and writes the same as JSON to bench/results/. Exits 1 if
any response was an error or a page did not show what it should (so a broken page cannot look
fast); a missed target is reported as FAIL but does not change the exit status.
"""

import argparse
import datetime as dt
import http.client
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import ROOT, add_database_url, database, machine

RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"
PAGE_SIZE = 50  # NEWMEDIA_PAGE_SIZE's default and AccountAdmin.list_per_page
# Each page's target, as a share of the trivial view's req/s in the same run; and every page must
# serve more requests a second than the admin changelist of the same accounts.
TARGETS = {
    "account_list": 0.04,
    "dashboard": 0.05,
    "command_centre": 0.03,
    "centre_blocking": 0.03,
    "review_queue": 0.04,
}
# The command centre filtered to the departments with blocking findings, most first.
CENTRE_BLOCKING = "/centre/?blocking=yes&sort=-blocking"

ACCOUNT_ROW = re.compile(rb'href="/accounts/\d+/"')
# A department's code under its name, in the command centre's table.
CENTRE_ROW = re.compile(rb'<div class="small text-muted">B\d{4}</div>')
ADMIN_ROW = re.compile(rb'<th class="field-name"><a href="/admin/registry/account/\d+/change/"')


# ------------------------------------------------------------------------------------------------
# The database
# ------------------------------------------------------------------------------------------------


def configure_environment(tmpdir: Path, database_url: str) -> dict[str, str]:
    """The environment of this process and of the server: a fresh database, production mode."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-pages-not-a-secret-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": HOST,
        "DJANGO_SETTINGS_MODULE": "newmedia.settings.base",
        "DEBUG": "0",
        "MEDIA_ROOT": str(tmpdir / "media"),
        "EMAIL_FILE_PATH": str(tmpdir / "mail"),
        "LOG_LEVEL": "WARNING",
    }
    for name in ("NEWMEDIA_PAGE_SIZE", "CONN_MAX_AGE", "GUNICORN_CMD_ARGS", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)  # the settings measured are the defaults
    os.environ.update(env)
    return dict(os.environ)


def load_data(n_departments: int, n_accounts: int):
    """``n_departments`` departments, a reviewer, a superuser, an active campaign with a return
    from most departments (in every state), ``n_accounts`` accounts with one filing each, in every
    platform, naming level, category and state, and an open clean-up finding on one account in
    ten. Returns the two users."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from approvals.models import Campaign, DepartmentReturn, Filing, ReturnState
    from cleanup.models import Finding
    from cleanup.rules import RULES
    from registry.models import Account, Department
    from registry.roles import REVIEWER_GROUP

    today = timezone.localdate()
    now = timezone.now()
    platforms = list(Account.Platform.values)
    levels = list(Account.NamingLevel.values)
    categories = list(Account.Category.values)
    kinds = list(Department.Kind.values)
    suffixes = ["工作群", "交流群", "通知群", "公众号", "学生群", "教研群", "视频号", "服务号"]
    # Filing states in the proportions of the demo data; "retained" is approved or registered.
    outcomes = ["draft"] * 3 + ["submitted"] * 4 + ["returned"] * 2 + ["retained"] * 6
    outcomes += ["closing", "closed"]
    dispositions = ["keep"] * 7 + ["dissolve", "take_down", "deregister"]

    with transaction.atomic():
        departments = Department.objects.bulk_create(
            Department(code=f"B{i:04d}", name=f"基准测试部门{i:04d}", kind=kinds[i % len(kinds)])
            for i in range(n_departments)
        )
        accounts = []
        for i in range(n_accounts):
            platform_ = platforms[i % len(platforms)]
            level = levels[(i // len(platforms)) % len(levels)]
            category = categories[(i // (len(platforms) * len(levels))) % len(categories)]
            department = departments[i % n_departments]
            created = today - dt.timedelta(days=30 + i % 1500)
            if platform_ in Account.NUMBERLESS_PLATFORMS:
                number = ""
            elif platform_ == Account.Platform.QQ_GROUP:
                number = str(600_000_000 + i)  # unique per platform: a constraint
            else:
                number = f"{platform_}-{i:06d}"
            name = f"{department.name}{suffixes[i % len(suffixes)]}{i}"
            disposition = dispositions[i % len(dispositions)]
            if i % 997 == 13:
                name = f"财政厅政策宣传群{i}"  # R1: shows the forbidden-name badge
            accounts.append(
                Account(
                    department=department,
                    name=name,
                    platform=platform_,
                    account_type=(
                        Account.AccountType.values[i % 2]
                        if platform_ == Account.Platform.WECHAT_OFFICIAL
                        else ""
                    ),
                    number=number,
                    naming_level=level,
                    category=category,
                    purpose="布置日常工作、传达通知",
                    created_on=created,
                    task_end_on=(
                        created + dt.timedelta(days=60)
                        if category == Account.Category.TEMPORARY_GROUP
                        else None
                    ),
                    owner_name=f"负责人{i % 500}",
                    owner_post="办公室主任",
                    owner_phone=f"138{i:08d}",
                    security_contact_name=f"审核人{i % 300}",
                    member_count=8 + i % 2000,
                    real_name_admission=category == Account.Category.WORK_GROUP,
                    last_active_on=today - dt.timedelta(days=i % 400),
                    disposition=disposition,
                    disposition_reason="" if disposition == "keep" else "任务已结束或长期不使用",
                    rules_acknowledged=True,
                )
            )
        Account.objects.bulk_create(accounts, batch_size=2000)

        filings = []
        rows = Account.objects.order_by("pk").values_list("pk", "naming_level")
        for i, (pk, level) in enumerate(rows):
            outcome = outcomes[i % len(outcomes)]
            extra = {}
            if outcome == "retained":
                outcome = "approved" if level == Account.NamingLevel.SCHOOL else "registered"
            if outcome in ("closing", "closed"):
                extra = {"closure_kind": "dissolve", "closure_reason": "长期不使用的僵尸群"}
                if outcome == "closed" or i % 2:
                    extra["closure_reported_at"] = now - dt.timedelta(hours=1)
            # The state goes in the constructor: the FSM field is protected from assignment.
            filings.append(
                Filing(
                    account_id=pk,
                    state=outcome,
                    state_changed_at=now - dt.timedelta(minutes=i),
                    **extra,
                )
            )
        Filing.objects.bulk_create(filings, batch_size=2000)
        Finding.objects.bulk_create(
            (
                Finding(
                    account_id=pk,
                    rule=RULES[n % len(RULES)].code,
                    severity=RULES[n % len(RULES)].severity,
                    opened_at=now - dt.timedelta(hours=n % 100),
                )
                for n, (pk, _level) in enumerate(rows[::10])
            ),
            batch_size=2000,
        )

        campaign = Campaign.objects.create(
            title=f"{today.year}年新媒体、微信和QQ工作群清理整治专项行动",
            document_number="赣府厅明〔2020〕46号",
            starts_on=today - dt.timedelta(days=30),
            deadline=today + dt.timedelta(days=60),
            is_active=True,
        )
        # One department in six has not started; the others are spread over the return's states,
        # those handed in over the last three weeks.
        states = [None, *ReturnState.values[1:]]
        DepartmentReturn.objects.bulk_create(
            DepartmentReturn(
                campaign=campaign,
                department=department,
                state=state,
                **(
                    {"handed_in_at": now - dt.timedelta(days=n % 21), "scan": f"bench/{n}.pdf"}
                    if state in (ReturnState.HANDED_IN, ReturnState.ACCEPTED)
                    else {}
                ),
            )
            for n, department in enumerate(departments)
            if (state := states[n % len(states)]) is not None
        )
        users = get_user_model().objects
        reviewer = users.create_user("bench_reviewer", first_name="基准审核员")
        reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
        superuser = users.create_superuser("bench_admin", "bench@example.invalid")
    return reviewer, superuser


def expected_counts() -> dict[str, int]:
    """What the pages measured must show as their totals, counted afresh from the data."""
    from approvals.models import Filing
    from cleanup.models import Finding, Severity

    return {
        "blocking_departments": Finding.objects.open()
        .filter(severity=Severity.BLOCKING)
        .values("account__department")
        .distinct()
        .count(),
        "submitted": Filing.objects.filter(state=Filing.State.SUBMITTED).count(),
    }


def login_cookie(user) -> str:
    """A session for the user, made directly: the load generator just sends the cookie."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The backend that checked the password (axes' comes first and only counts failures).
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


# ------------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def start_server(env, app: str, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    if port_answers(port):
        raise SystemExit(f"Something already listens on {HOST}:{port}; pick another --port.")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn if gunicorn.exists() else shutil.which("gunicorn") or "gunicorn"),
        app,
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--error-logfile",
        str(log_path),
    ]
    log = log_path.open("ab")
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail(log_path)}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer /healthz within 30 s:\n{tail(log_path)}")


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.terminate()  # the master stops its workers
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: the master and its workers
        server.wait(timeout=5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ------------------------------------------------------------------------------------------------
# The load generator
# ------------------------------------------------------------------------------------------------


@dataclass
class Endpoint:
    key: str
    label: str
    path: str
    cookie: str | None
    check: Callable[[int, bytes], str | None]  # (status, body) -> the problem, if any
    requests: int
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds this process spent generating the load
    rounds: list[dict] = field(default_factory=list)
    failures: int = 0
    problems: list[str] = field(default_factory=list)


def run_batch(endpoint: Endpoint, port: int, count: int, concurrency: int, timeout: float):
    """``count`` GETs of the endpoint from ``concurrency`` threads, each on its own connection
    (kept alive when the server allows; gunicorn's sync worker closes it after each response).
    Returns (latencies, wall seconds, client CPU seconds, failures, problems)."""
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    failures = 0
    problems: list[str] = []
    headers = {"Accept-Encoding": "identity"}
    if endpoint.cookie:
        headers["Cookie"] = endpoint.cookie

    def client():
        nonlocal issued, failures
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        mine = []
        try:
            while True:
                with lock:
                    if issued >= count:
                        break
                    issued += 1
                start = time.perf_counter()
                try:
                    conn.request("GET", endpoint.path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    problem = endpoint.check(response.status, body)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    problem = f"{type(exc).__name__}: {exc}"
                mine.append(time.perf_counter() - start)
                if problem:
                    with lock:
                        failures += 1
                        if len(problems) < 5:
                            problems.append(problem)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    return latencies, wall, client_cpu, failures, problems


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def check_healthz(status, body):
    if status != 200 or body != b"ok":
        return f"/healthz: HTTP {status}, {body[:60]!r}"
    return None


def rows_check(path: str, pattern: re.Pattern, rows: int, total: int):
    """The page answers 200 with ``rows`` rows and shows the ``total`` (all accounts visible)."""
    total_shown = re.compile(rb"(?<![\w/-])%d(?![\w/])" % total)

    def check(status, body):
        if status != 200:
            return f"{path}: HTTP {status}"
        found = len(pattern.findall(body))
        if found != rows:
            return f"{path}: {found} rows, expected {rows}"
        if not total_shown.search(body):
            return f"{path}: the total {total} is not shown"
        return None

    return check


def centre_check(path: str, departments: int):
    """The command centre answers 200 with a page of department rows and the number of them."""
    rows = min(PAGE_SIZE, departments)
    return rows_check(path, CENTRE_ROW, rows, departments)


def check_dashboard(status, body):
    if status != 200:
        return f"/: HTTP {status}"
    for marker in (b'id="counts-title"', b'id="reviewer-title"'):
        if marker not in body:
            return f"/: {marker.decode()} is missing"
    if not ACCOUNT_ROW.search(body):
        return "/: no account in the reviewer's to-do lists"
    return None


# ------------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------------


def summarise(endpoints: list[Endpoint]) -> list[dict]:
    ceiling = endpoints[0]
    ceiling_rps = len(ceiling.latencies) / ceiling.elapsed
    rows = []
    for endpoint in endpoints:
        rps = len(endpoint.latencies) / endpoint.elapsed
        rows.append(
            {
                "key": endpoint.key,
                "endpoint": endpoint.label,
                "path": endpoint.path,
                "requests": len(endpoint.latencies),
                "failures": endpoint.failures,
                "req_per_s": round(rps, 1),
                "p50_ms": round(percentile(endpoint.latencies, 0.50) * 1000, 1),
                "p99_ms": round(percentile(endpoint.latencies, 0.99) * 1000, 1),
                "ratio_to_trivial": round(rps / ceiling_rps, 4),
                "client_cpu_share": round(endpoint.client_cpu / endpoint.elapsed, 2),
                "req_per_s_by_round": [round(r["req_per_s"], 1) for r in endpoint.rounds],
                "problems": endpoint.problems,
            }
        )
    return rows


def page_targets(rows: list[dict], args) -> list[dict]:
    """Each page against its share of the trivial view (``TARGETS``) and against the admin
    changelist, the reference."""
    by_key = {row["key"]: row for row in rows}
    trivial, admin = by_key["trivial"], by_key["admin_changelist"]
    scale = f"{args.departments} departments, {args.accounts} accounts"
    targets = []
    for key, ratio in TARGETS.items():
        page = by_key[key]
        targets.append(
            {
                "name": f"{page['endpoint']} ≥ {ratio} × trivial view",
                "met": page["ratio_to_trivial"] >= ratio,
                "detail": (
                    f"{page['ratio_to_trivial']:.4f} ({page['req_per_s']:.1f} of "
                    f"{trivial['req_per_s']:.1f} req/s, {scale})"
                ),
            }
        )
        targets.append(
            {
                "name": f"{page['endpoint']} ≥ admin changelist",
                "met": page["req_per_s"] >= admin["req_per_s"],
                "detail": (
                    f"{page['req_per_s']:.1f} vs {admin['req_per_s']:.1f} req/s "
                    f"(×{page['req_per_s'] / admin['req_per_s']:.2f})"
                ),
            }
        )
    return targets


def print_report(rows: list[dict], targets: list[dict], info: dict, settings_used: dict) -> None:
    print()
    print(
        f"{'endpoint':<34} {'requests':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'÷ trivial':>10}   req/s by round (min–max)"
    )
    for row in rows:
        spread = row["req_per_s_by_round"]
        print(
            f"{row['endpoint']:<34} {row['requests']:>8} {row['req_per_s']:>9.1f} "
            f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['ratio_to_trivial']:>10.4f}   "
            f"{min(spread):.1f}–{max(spread):.1f}"
        )
    print()
    for target in targets:
        print(f"{'PASS' if target['met'] else 'FAIL'}  {target['name']}: {target['detail']}")
    print()
    print(
        "settings: "
        + ", ".join(
            f"{k}={v}" for k, v in settings_used.items() if k not in ("departments", "accounts")
        )
        + f", {settings_used['departments']} departments, {settings_used['accounts']} accounts"
    )
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu_model'] or 'unknown'}), {info['memory']}, "
        f"{info['kernel']}; Python {info['python']}, {info['database']}, "
        f"Django {info['django']}, gunicorn {info['gunicorn']}; load average at start "
        + " ".join(f"{x:.2f}" for x in info["load_average_at_start"])
        + ", at end "
        + " ".join(f"{x:.2f}" for x in info["load_average_at_end"])
    )
    print(
        f"code: commit {info['commit'] or '?'}, {info['uncommitted_changes']} uncommitted changes; "
        "the load generator shares the CPUs with the server (client CPU per endpoint: "
        + ", ".join(f"{row['key']} {row['client_cpu_share']:.0%}" for row in rows)
        + ")"
    )


def profile_pages(cookies: dict[str, str], paths: list[tuple[str, str]], count: int) -> dict:
    """In this process, on the same database: time each page through the test client, count its
    queries, and print the functions cProfile finds hottest."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    report = {}
    for who, path in paths:
        client = Client(HTTP_HOST=HOST)
        name, value = cookies[who].split("=", 1)
        client.cookies[name] = value
        for _ in range(5):
            client.get(path)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        queries = list(captured.captured_queries)  # the next request clears the log
        start = time.perf_counter()
        for _ in range(count):
            client.get(path)
        plain_ms = (time.perf_counter() - start) / count * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(35)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        print(f"\n=== profile of {path} ({count} requests in-process) ===")
        print(
            f"{plain_ms:.1f} ms per request unprofiled, {len(queries)} queries "
            f"taking {sql_ms:.1f} ms"
        )
        for query in queries:
            print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:150]}")
        print(out.getvalue())
        report[path] = {"ms_per_request": round(plain_ms, 2), "queries": len(queries)}
    return report


# ------------------------------------------------------------------------------------------------


def parse_args():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parser = argparse.ArgumentParser(
        description="Measure the account list and the dashboard under gunicorn on 127.0.0.1, "
        "against a trivial view and the admin changelist of the same accounts."
    )
    parser.add_argument("--departments", type=int, default=40, help="departments to load (40)")
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts to load")
    parser.add_argument(
        "--requests", type=int, default=800, help="measured requests per page (default 800)"
    )
    parser.add_argument(
        "--ceiling-requests",
        type=int,
        default=8000,
        help="measured requests of the trivial view, which is much faster (default 8000)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=2 * (cpus or 1), help="client threads (2 × CPUs)"
    )
    parser.add_argument(
        "--workers", type=int, default=cpus or 1, help="gunicorn sync workers (one per CPU)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=8,
        help="the endpoints take turns this many times, so a passing disturbance hits all (8)",
    )
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per endpoint")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="afterwards, cProfile N in-process requests of the account list, the dashboard, "
        "the command centre and the changelist",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE after loading SQLite, as a maintained database would have (always "
        "done on PostgreSQL)",
    )
    parser.add_argument(
        "--app",
        default="newmedia.wsgi",
        help="the WSGI module gunicorn serves (default newmedia.wsgi); a variant to compare",
    )
    add_database_url(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    args = parser.parse_args()
    for name in (
        "departments",
        "accounts",
        "requests",
        "ceiling_requests",
        "concurrency",
        "workers",
        "rounds",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.accounts < PAGE_SIZE:
        parser.error(f"--accounts must be at least {PAGE_SIZE}, a full page")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below
    sys.path.insert(0, str(ROOT))
    tmpdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        with database(args.database_url, tmpdir) as url:
            return measure(args, tmpdir, url)
    finally:
        if args.keep and not args.database_url:
            print(f"kept: {tmpdir}")
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


def measure(args, tmpdir: Path, database_url: str) -> int:
    server = None
    try:
        env = configure_environment(tmpdir, database_url)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from newmedia import dbtriggers

        info = machine()
        started = dt.datetime.now().astimezone()
        t0 = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        t1 = time.perf_counter()
        reviewer, superuser = load_data(args.departments, args.accounts)
        expected = expected_counts()
        # The steady state: the beat folds the tallies' deltas every minute (a bulk load leaves
        # three rows an account on SQLite, whose triggers fire per row).
        dbtriggers.compact()
        cookies = {"reviewer": login_cookie(reviewer), "superuser": login_cookie(superuser)}
        if args.analyze or args.database_url:  # PostgreSQL's autovacuum would, soon after
            with connections["default"].cursor() as cursor:
                cursor.execute("ANALYZE")
        connections.close_all()
        t2 = time.perf_counter()
        print(
            f"database: migrated in {t1 - t0:.1f} s, {args.departments} departments and "
            f"{args.accounts} accounts loaded in {t2 - t1:.1f} s ({info['database']})"
        )

        port = args.port or free_port()
        server = start_server(env, args.app, port, args.workers, tmpdir / "gunicorn.log")
        print(
            f"gunicorn: {args.app} with {args.workers} sync workers on {HOST}:{port}, "
            f"pid {server.pid}"
        )

        total = args.accounts
        endpoints = [
            Endpoint(
                "trivial",
                "trivial view (ceiling)",
                "/healthz",
                None,
                check_healthz,
                args.ceiling_requests,
            ),
            Endpoint(
                "account_list",
                "account list",
                "/accounts/",
                cookies["reviewer"],
                rows_check("/accounts/", ACCOUNT_ROW, PAGE_SIZE, total),
                args.requests,
            ),
            Endpoint(
                "dashboard",
                "dashboard",
                "/",
                cookies["reviewer"],
                check_dashboard,
                args.requests,
            ),
            Endpoint(
                "command_centre",
                "command centre",
                "/centre/",
                cookies["reviewer"],
                centre_check("/centre/", args.departments),
                args.requests,
            ),
            Endpoint(
                "centre_blocking",
                "command centre, blocking findings",
                CENTRE_BLOCKING,
                cookies["reviewer"],
                centre_check(CENTRE_BLOCKING, expected["blocking_departments"]),
                args.requests,
            ),
            Endpoint(
                "review_queue",
                "review queue",
                "/review/",
                cookies["reviewer"],
                rows_check("/review/", ACCOUNT_ROW, PAGE_SIZE, expected["submitted"]),
                args.requests,
            ),
            Endpoint(
                "admin_changelist",
                "admin changelist (reference)",
                "/admin/registry/account/",
                cookies["superuser"],
                rows_check("/admin/registry/account/", ADMIN_ROW, PAGE_SIZE, total),
                args.requests,
            ),
        ]

        for endpoint in endpoints:
            _lat, _wall, _cpu, failures, problems = run_batch(
                endpoint, port, args.warmup, args.concurrency, args.timeout
            )
            if failures:
                raise RuntimeError(f"warm-up of {endpoint.path} failed: {problems}")
        print(f"warm-up: {args.warmup} requests per endpoint, all answered as expected")

        for round_ in range(args.rounds):
            # Each round starts with a different endpoint, so none always runs first.
            order = endpoints[round_ % len(endpoints) :] + endpoints[: round_ % len(endpoints)]
            for endpoint in order:
                share = endpoint.requests // args.rounds
                count = share + (endpoint.requests - share * args.rounds if round_ == 0 else 0)
                if not count:
                    continue
                latencies, elapsed, client_cpu, failures, problems = run_batch(
                    endpoint, port, count, args.concurrency, args.timeout
                )
                endpoint.latencies += latencies
                endpoint.elapsed += elapsed
                endpoint.client_cpu += client_cpu
                endpoint.failures += failures
                endpoint.problems += problems[: 5 - len(endpoint.problems)]
                endpoint.rounds.append({"requests": count, "req_per_s": count / elapsed})
            print(f"round {round_ + 1}/{args.rounds} done")
        stop_server(server)
        info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

        rows = summarise(endpoints)
        targets = page_targets(rows, args)
        settings_used = {
            "departments": args.departments,
            "accounts": args.accounts,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "page_size": PAGE_SIZE,
            "analyze": args.analyze or bool(args.database_url),
            "app": args.app,
        }
        print_report(rows, targets, info, settings_used)
        failed = [row for row in rows if row["failures"]]
        for row in failed:
            print(f"ERROR  {row['path']}: {row['failures']} bad responses, e.g. {row['problems']}")

        profile = None
        if args.profile:
            profile = profile_pages(
                cookies,
                [
                    ("reviewer", "/accounts/"),
                    ("reviewer", "/"),
                    ("reviewer", "/centre/"),
                    ("reviewer", CENTRE_BLOCKING),
                    ("reviewer", "/review/"),
                    ("superuser", "/admin/registry/account/"),
                ],
                args.profile,
            )

        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"bench_pages-{started:%Y%m%d-%H%M%S}.json"
        out.write_text(
            json.dumps(
                {
                    "benchmark": "bench/bench_pages.py",
                    "started": started.isoformat(timespec="seconds"),
                    "duration_s": round(time.perf_counter() - t0, 1),
                    "settings": settings_used,
                    "machine": info,
                    "results": rows,
                    "targets": targets,
                    "profile": profile,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        print(f"written: {out.relative_to(ROOT)}")
        return 1 if failed else 0
    finally:
        stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
