"""How long the daily reminder sweep takes for a large school system: 1,000 departments with a
filer each and 100,000 accounts (with their filings, in every state) on a fresh database, side
by side with two references measured in the same run on the same data:

* the sweep's own read of every department's state (``department_statuses``), alone;
* a bulk insert of the same number of notifications and reminder-log rows, with their texts:
  the writing the sweep cannot avoid.

The sweep measured is the one of a milestone day, which creates every reminder (each round
starts from none), and then a rerun on the same day, which finds nothing new. Emails are not
sent: the sweep queues one task per email when it commits, and those go to an in-process broker
(``memory://``, or ``--broker-url``) and are never run, so publishing is measured and sending
is not.

    .venv/bin/python bench/bench_sweep.py [--departments 1000] [--accounts 100000] [--rounds 3]
                                          [--database-url postgres://…] [--broker-url redis://…]
                                          [--profile]

SQLite in a temporary directory by default. With ``--database-url`` naming a PostgreSQL server,
a database of its own is created there and dropped at the end. Prints a table and writes the
same as JSON to bench/results/. Exits 1 if a sweep did not create exactly one reminder per
department or the rerun created any.
"""

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import shutil
import signal
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from common import ROOT, add_database_url, database, machine

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEADLINE = dt.date(2027, 6, 8)
DAY = dt.date(2027, 6, 1)  # a Tuesday: the 7-day milestone is due
BATCH = 2000


# ------------------------------------------------------------------------------------------------
# The database
# ------------------------------------------------------------------------------------------------


def configure_environment(tmpdir: Path, database_url: str, broker_url: str) -> None:
    """The environment of this process: the given database, production mode, no mail server."""
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-sweep-not-a-secret-" + os.urandom(16).hex(),
            "DJANGO_SETTINGS_MODULE": "newmedia.settings.base",
            "DEBUG": "0",
            "MEDIA_ROOT": str(tmpdir / "media"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # Tasks are published and never run: the sweep is measured, not the emails.
            "CELERY_BROKER_URL": broker_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("CONN_MAX_AGE", "NEWMEDIA_REMIND_ON_WEEKENDS", "LANGUAGE_CODE"):
        os.environ.pop(name, None)  # the settings measured are the defaults


def load_data(n_departments: int, n_accounts: int):
    """Departments with one filer each, ``n_accounts`` accounts spread over them with a filing in
    every state, an active campaign, and returns for some departments. Returns the campaign."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from approvals.models import Campaign, DepartmentReturn, Filing
    from registry.models import Account, Department

    User = get_user_model()
    now = timezone.now()
    platforms = list(Account.Platform.values)
    kinds = list(Department.Kind.values)
    # States in the proportions of the demo data, so that every department has open accounts.
    states = ["draft"] * 3 + ["submitted"] * 4 + ["returned"] * 2 + ["registered"] * 6
    states += ["closing", "closed"]
    return_states = [None, None, "in_progress", "handed_in", "returned", "accepted"]

    with transaction.atomic():
        campaign = Campaign.objects.create(
            title="2027年新媒体、微信和QQ工作群清理整治专项行动",
            document_number="赣府厅明〔2020〕46号",
            starts_on=DEADLINE - dt.timedelta(days=60),
            deadline=DEADLINE,
            is_active=True,
        )
        departments = Department.objects.bulk_create(
            (
                Department(
                    code=f"B{i:04d}", name=f"基准测试部门{i:04d}", kind=kinds[i % len(kinds)]
                )
                for i in range(n_departments)
            ),
            batch_size=BATCH,
        )
        users = User.objects.bulk_create(
            (
                User(
                    username=f"filer{i:04d}",
                    first_name=f"填报人{i:04d}",
                    email=f"filer{i:04d}@example.edu.cn",
                )
                for i in range(n_departments)
            ),
            batch_size=BATCH,
        )
        Department.filers.through.objects.bulk_create(
            (
                Department.filers.through(department=d, user=u)
                for d, u in zip(departments, users, strict=True)
            ),
            batch_size=BATCH,
        )
        returns = []
        for i, department in enumerate(departments):
            state = return_states[i % len(return_states)]
            if state is None:
                continue
            handed = state in ("handed_in", "accepted", "returned")
            returns.append(
                DepartmentReturn(
                    campaign=campaign,
                    department=department,
                    state=state,  # in the constructor: the FSM field is protected
                    scan="returns/stamped.pdf" if handed else "",
                    handed_in_at=now if handed else None,
                )
            )
        DepartmentReturn.objects.bulk_create(returns, batch_size=BATCH)

        for start in range(0, n_accounts, BATCH * 5):
            accounts = []
            for i in range(start, min(start + BATCH * 5, n_accounts)):
                platform_ = platforms[i % len(platforms)]
                accounts.append(
                    Account(
                        department=departments[i % n_departments],
                        name=f"基准账号{i:06d}",
                        platform=platform_,
                        account_type="subscription" if platform_ == "wechat_official" else "",
                        number="" if platform_ in Account.NUMBERLESS_PLATFORMS else f"{i:09d}",
                        naming_level="department",
                        category="work_group",
                        purpose="布置日常工作、传达通知",
                        owner_name=f"负责人{i % 500}",
                        owner_post="办公室主任",
                        owner_phone=f"138{i:08d}",
                        security_contact_name=f"审核人{i % 300}",
                        member_count=8 + i % 2000,
                        rules_acknowledged=True,
                    )
                )
            created = Account.objects.bulk_create(accounts, batch_size=BATCH)
            filings = []
            for n, account in enumerate(created, start=start):
                state = states[(n // n_departments) % len(states)]
                extra = {}
                if state in ("closing", "closed"):
                    extra = {"closure_kind": "dissolve", "closure_reason": "长期不使用的僵尸群"}
                    if state == "closed":
                        extra["closure_reported_at"] = now
                filings.append(Filing(account=account, state=state, **extra))
            Filing.objects.bulk_create(filings, batch_size=BATCH)
    return campaign


# ------------------------------------------------------------------------------------------------
# The measurements
# ------------------------------------------------------------------------------------------------


def clear_reminders() -> None:
    """Back to a milestone day on which nothing was sent yet."""
    from django.db import transaction

    from approvals.models import Notification, OverdueDigestLog, ReminderLog

    with transaction.atomic():
        ReminderLog.objects.all().delete()
        OverdueDigestLog.objects.all().delete()
        Notification.objects.all().delete()


def timed(function):
    """(seconds, queries, result) of one call, the queries counted by Django."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - start
    return seconds, len(queries), result


def published() -> int:
    """Messages waiting in the in-process broker; emptied as they are counted."""
    from newmedia.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.queue_purge("celery") or 0


def insert_baseline(campaign, sample: dict, n: int) -> None:
    """The rows the sweep writes, with texts of the same size, in one transaction."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from approvals.models import Notification, ReminderLog
    from registry.models import Department

    filers = list(
        Department.filers.through.objects.order_by("department_id").values_list(
            "department_id", "user_id"
        )[:n]
    )
    emails = dict(
        get_user_model().objects.filter(pk__in=[u for _d, u in filers]).values_list("pk", "email")
    )
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            Notification(recipient_id=user_id, email_to=emails[user_id], **sample)
            for _department_id, user_id in filers
        )
        ReminderLog.objects.bulk_create(
            ReminderLog(
                campaign=campaign,
                department_id=department_id,
                milestone=7,
                recipient_id=user_id,
                notification=notification,
            )
            for (department_id, user_id), notification in zip(filers, created, strict=True)
        )


def measure(campaign, rounds: int, n_departments: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from approvals.models import Notification, ReminderLog
    from approvals.services.reminders import department_statuses, reminders_sweep

    runs = {"sweep": [], "rerun": [], "statuses": [], "insert": []}
    queries = {}
    problems = []
    reminders_sweep(today=DAY)  # a warm-up: templates compiled, caches filled
    published()
    for round_ in range(rounds):
        clear_reminders()
        seconds, count, result = timed(lambda: reminders_sweep(today=DAY))
        runs["sweep"].append(seconds)
        queries["sweep"] = count
        created = ReminderLog.objects.count()
        if created != n_departments or len(result.reminders) != n_departments:
            problems.append(f"round {round_ + 1}: {created} reminders for {n_departments}")
        queued = published()
        if queued != n_departments:
            problems.append(f"round {round_ + 1}: {queued} emails queued for {n_departments}")
        sample = Notification.objects.values("subject", "body", "body_html", "link").first()
        # The workers sent the emails; the rerun, later the same day, finds nothing owed.
        Notification.objects.update(email_sent_at=timezone.now())

        seconds, count, result = timed(lambda: reminders_sweep(today=DAY))
        runs["rerun"].append(seconds)
        queries["rerun"] = count
        if result.reminders or ReminderLog.objects.count() != n_departments:
            problems.append(f"round {round_ + 1}: the rerun created {len(result.reminders)}")
        if queued := published():
            problems.append(f"round {round_ + 1}: the rerun queued {queued} emails")

        seconds, count, statuses = timed(lambda: department_statuses(campaign=campaign))
        runs["statuses"].append(seconds)
        queries["statuses"] = count
        if len(statuses) != n_departments:
            problems.append(f"round {round_ + 1}: {len(statuses)} late departments")

        clear_reminders()
        seconds, count, _ = timed(partial(insert_baseline, campaign, sample, n_departments))
        runs["insert"].append(seconds)
        queries["insert"] = count
        print(
            f"round {round_ + 1}/{rounds}: sweep {runs['sweep'][-1]:.3f} s, rerun "
            f"{runs['rerun'][-1]:.3f} s, statuses {runs['statuses'][-1]:.3f} s, "
            f"insert {runs['insert'][-1]:.3f} s"
        )
    clear_reminders()
    return {
        "vendor": connection.vendor,
        "median_s": {k: statistics.median(v) for k, v in runs.items()},
        "min_s": {k: min(v) for k, v in runs.items()},
        "max_s": {k: max(v) for k, v in runs.items()},
        "queries": queries,
        "problems": problems,
    }


def profile_sweep() -> str:
    from approvals.services.reminders import reminders_sweep

    clear_reminders()
    profiler = cProfile.Profile()
    profiler.enable()
    reminders_sweep(today=DAY)
    profiler.disable()
    published()
    clear_reminders()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------------


def print_report(results: dict, n_departments: int, info: dict, settings_used: dict) -> None:
    median, low, high = results["median_s"], results["min_s"], results["max_s"]
    queries = results["queries"]
    rows = [
        ("sweep, creating every reminder", "sweep"),
        ("rerun, nothing new", "rerun"),
        ("reference: department_statuses alone", "statuses"),
        ("reference: bulk insert of the same rows", "insert"),
    ]
    print()
    print(
        f"{n_departments} departments, {settings_used['accounts']} accounts, "
        f"{info['database']}, broker {settings_used['broker']}, "
        f"median of {settings_used['rounds']} rounds"
    )
    print(f"{'':42} {'total s':>9} {'min–max s':>15} {'ms/dept':>8} {'queries':>8}")
    for label, key in rows:
        print(
            f"{label:42} {median[key]:9.3f} {low[key]:7.3f}–{high[key]:<7.3f} "
            f"{median[key] * 1000 / n_departments:8.3f} {queries[key]:8d}"
        )
    print()
    print(f"sweep ÷ department_statuses: {median['sweep'] / median['statuses']:.1f}")
    print(f"sweep ÷ bulk insert of its rows: {median['sweep'] / median['insert']:.1f}")
    print(
        f"sweep ÷ (statuses + insert): "
        f"{median['sweep'] / (median['statuses'] + median['insert']):.1f}"
    )
    print(f"rerun ÷ department_statuses: {median['rerun'] / median['statuses']:.1f}")


# ------------------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(
        description="Time the daily reminder sweep over many departments and accounts, against "
        "its own department query and a bulk insert of the rows it writes."
    )
    parser.add_argument("--departments", type=int, default=1000, help="departments (1000)")
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts (100000)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (3)")
    add_database_url(parser)
    parser.add_argument(
        "--broker-url",
        default="memory://localhost/",
        help="where the sweep publishes its email tasks (default: in-process); a Redis database "
        "of its own, e.g. redis://127.0.0.1:6379/14, since the benchmark empties its queue",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one more sweep")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    args = parser.parse_args()
    for name in ("departments", "accounts", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below
    sys.path.insert(0, str(ROOT))
    tmpdir = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        with database(args.database_url, tmpdir) as url:
            configure_environment(tmpdir, url, args.broker_url)
            import django

            django.setup()
            from django.core.management import call_command

            started = dt.datetime.now().astimezone()
            t0 = time.perf_counter()
            call_command("migrate", interactive=False, verbosity=0)
            t1 = time.perf_counter()
            campaign = load_data(args.departments, args.accounts)
            from django.db import connection

            from newmedia import dbtriggers

            dbtriggers.compact()  # as the beat does every minute
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as a maintained database would have
            t2 = time.perf_counter()
            info = machine()
            print(
                f"database: {info['database']}, migrated in {t1 - t0:.1f} s, "
                f"{args.departments} departments and {args.accounts} accounts loaded in "
                f"{t2 - t1:.1f} s"
            )
            results = measure(campaign, args.rounds, args.departments)
            settings_used = {
                "departments": args.departments,
                "accounts": args.accounts,
                "rounds": args.rounds,
                "day": DAY.isoformat(),
                "broker": args.broker_url,
            }
            print_report(results, args.departments, info, settings_used)
            for problem in results["problems"]:
                print(f"ERROR  {problem}")
            profile = profile_sweep() if args.profile else None
            if profile:
                print(profile)

            RESULTS_DIR.mkdir(exist_ok=True)
            out = RESULTS_DIR / f"bench_sweep-{results['vendor']}-{started:%Y%m%d-%H%M%S}.json"
            out.write_text(
                json.dumps(
                    {
                        "benchmark": "bench/bench_sweep.py",
                        "started": started.isoformat(timespec="seconds"),
                        "duration_s": round(time.perf_counter() - t0, 1),
                        "settings": settings_used,
                        "machine": info,
                        "results": results,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
                + "\n"
            )
            print(f"written: {out.relative_to(ROOT)}")
            return 1 if results["problems"] else 0
    finally:
        if args.keep and not args.database_url:
            print(f"kept: {tmpdir}")
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
