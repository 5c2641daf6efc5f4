"""How long the clean-up checks take over a province-sized register: 1,000 departments, 100,000
accounts (with filings, some closed) and 2,000,000 roster members on a fresh database, side by
side with two references measured in the same run on the same data:

* reading what the rules read, once: every live account's columns and the member counts of
  the current rosters (one query each), with no rule applied;
* a bulk insert of as many finding rows as the first evaluation writes.

Three evaluations are measured: the first (every finding new), a rerun with nothing changed
(which must write nothing), and a department's on-demand run (after an edit). Each rule's own
time and queries are printed too.

    .venv/bin/python bench/bench_findings.py [--departments 1000] [--accounts 100000]
                                             [--members 2000000] [--rounds 3]
                                             [--database-url postgres://…]

SQLite in a temporary directory by default; ``--database-url`` creates and drops a database of
its own on that PostgreSQL server. Prints a table and writes the same as JSON to bench/results/.
Exits 1 if a rerun wrote anything or a rule made more than two queries.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_sweep import timed as _timed
from common import ROOT, add_database_url, database, git, machine

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TODAY = dt.date(2027, 5, 20)
BATCH = 5000
WRITES = ("INSERT", "UPDATE", "DELETE")


def timed(function):
    """(seconds, queries, result) of one call. The query log is emptied first: it keeps only the
    last 9,000 queries, and a full log would count none."""
    from django.db import connection

    connection.queries_log.clear()
    return _timed(function)


def configure_environment(tmpdir: Path, database_url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-findings-not-a-secret-" + os.urandom(16).hex(),
            "DJANGO_SETTINGS_MODULE": "newmedia.settings.base",
            "DEBUG": "0",
            "MEDIA_ROOT": str(tmpdir / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in list(os.environ):
        if name.startswith("NEWMEDIA_CLEANUP_") or name in ("CONN_MAX_AGE", "LANGUAGE_CODE"):
            os.environ.pop(name)  # the thresholds measured are the defaults


def load_data(n_departments: int, n_accounts: int, n_members: int) -> dict:
    """Departments with 20 staff each (one in ten departed), accounts of every category with
    activity dates, names and owners that trigger each rule for some, filings (one in twenty
    closed) and a current roster on every group, the members spread evenly."""
    from django.db import connection, transaction
    from django.utils import timezone

    from approvals.models import Filing
    from cleanup.models import Roster
    from registry.models import Account, Department, Staff

    now = timezone.now()
    categories = ["work_group", "chat_group", "temporary_group", "publishing"]
    group_platforms = ["qq_group", "wechat_group", "dingtalk_group", "wecom_group"]
    public_platforms = ["wechat_official", "weibo", "douyin", "channels"]
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇"]
    with transaction.atomic():
        departments = Department.objects.bulk_create(
            (
                Department(code=f"B{i:04d}", name=f"基准测试部门{i:04d}", kind="college")
                for i in range(n_departments)
            ),
            batch_size=BATCH,
        )
        staff = Staff.objects.bulk_create(
            (
                Staff(
                    staff_number=f"S{i:07d}",
                    name=surnames[i % 20] + given[(i // 20) % 10] + given[(i // 200) % 10],
                    department=departments[i % n_departments],
                    phone=f"139{i:08d}",
                    status="left" if i % 10 == 9 else "active",
                    left_on=TODAY - dt.timedelta(days=100) if i % 10 == 9 else None,
                )
                for i in range(n_departments * 20)
            ),
            batch_size=BATCH,
        )
        names_by_department = {}
        for person in staff:
            names_by_department.setdefault(person.department_id, []).append(person.name)
        groups = []
        for start in range(0, n_accounts, BATCH * 4):
            accounts = []
            for i in range(start, min(start + BATCH * 4, n_accounts)):
                department = departments[i % n_departments]
                category = categories[(i // n_departments) % 4]
                publishing = category == "publishing"
                platform = (public_platforms if publishing else group_platforms)[
                    (i // (n_departments * 4)) % 4
                ]
                owners = names_by_department[department.pk]
                accounts.append(
                    Account(
                        department=department,
                        # Every seventh name repeats an earlier one with another year.
                        name=f"{2020 + i % 5}级基准账号{(i // 7) if i % 7 == 0 else i:06d}",
                        platform=platform,
                        account_type="subscription" if platform == "wechat_official" else "",
                        number=""
                        if platform in Account.NUMBERLESS_PLATFORMS
                        else f"{platform[:2]}{i:09d}",
                        naming_level="department" if i % 3 else "work",
                        category=category,
                        purpose=f"基准用途{i % 400}",
                        created_on=TODAY - dt.timedelta(days=400 + i % 900),
                        task_end_on=TODAY - dt.timedelta(days=i % 60 - 30)
                        if category == "temporary_group"
                        else None,
                        owner_name=owners[i % len(owners)] if i % 50 else "外聘人员",
                        owner_phone=f"138{i:08d}",
                        security_contact_name="" if i % 40 == 1 else "审核人",
                        member_count=5 + i % 500,
                        real_name_admission=i % 6 != 0,
                        last_active_on=None if i % 97 == 0 else TODAY - dt.timedelta(days=i % 500),
                        rules_acknowledged=i % 30 != 0,
                    )
                )
            created = Account.objects.bulk_create(accounts, batch_size=BATCH)
            filings = []
            for n, account in enumerate(created, start=start):
                state = "closed" if n % 20 == 0 else ("registered" if n % 3 else "submitted")
                extra = {}
                if state == "closed":
                    extra = {
                        "closure_kind": "deregister",
                        "closure_reason": "基准关停",
                        "closure_reported_at": now,
                    }
                filings.append(Filing(account=account, state=state, **extra))
                if account.category != "publishing" and state != "closed":
                    groups.append(account.pk)
            Filing.objects.bulk_create(filings, batch_size=BATCH)
        rosters = Roster.objects.bulk_create(
            (Roster(account_id=pk, member_count=0, uploaded_at=now) for pk in groups),
            batch_size=BATCH,
        )
        per_roster = max(1, n_members // max(1, len(rosters)))
        marks = ["own_department"] * 6 + ["other_department", "departed", "not_staff", "ambiguous"]
        staff_ids = [person.pk for person in staff]
        sql = (
            "INSERT INTO cleanup_rostermember (roster_id, row, nickname, card, member_number, "
            "real_name, gender, match, basis, staff_id, candidates) "
            "VALUES (%s, %s, %s, %s, %s, '', '', %s, %s, %s, '[]')"
        )
        rows, written = [], 0
        with connection.cursor() as cursor:
            for r, roster in enumerate(rosters):
                for row in range(per_roster):
                    if written >= n_members:
                        break
                    mark = marks[(r + row) % len(marks)]
                    matched = mark in ("own_department", "other_department", "departed")
                    rows.append(
                        (
                            roster.pk,
                            row + 1,
                            f"网友{row}",
                            f"成员{row}-部门",
                            str(100000 + written),
                            mark,
                            "name" if matched else "",
                            staff_ids[written % len(staff_ids)] if matched else None,
                        )
                    )
                    written += 1
                    if len(rows) >= 50_000:
                        cursor.executemany(sql, rows)
                        rows = []
            if rows:
                cursor.executemany(sql, rows)
    return {"groups": len(groups), "members": written, "staff": len(staff)}


def reference_read() -> int:
    """What the rules read, read once with no rule applied."""
    from django.db.models import Count

    from cleanup.models import RosterMember
    from cleanup.services import live_accounts

    columns = [
        "pk",
        "department_id",
        "platform",
        "name",
        "purpose",
        "category",
        "number",
        "owner_name",
        "owner_id",
        "last_active_on",
        "task_end_on",
    ]
    rows = sum(1 for _row in live_accounts().values_list(*columns).iterator(chunk_size=5000))
    counts = (
        RosterMember.objects.filter(roster__is_current=True, removal_done_at__isnull=True)
        .order_by()
        .values("roster__account_id")
        .annotate(n=Count("pk"))
    )
    return rows + sum(1 for _row in counts.iterator())


def reference_insert(n: int) -> None:
    """As many finding rows as the first evaluation wrote, in one transaction."""
    from django.db import transaction

    from cleanup.models import Finding
    from registry.models import Account

    ids = list(Account.objects.values_list("pk", flat=True)[:n])
    with transaction.atomic():
        Finding.objects.bulk_create(
            (
                Finding(
                    account_id=ids[i % len(ids)],
                    rule=f"reference{i // len(ids)}",
                    severity="warning",
                    params={"last_active_on": "2027-01-01", "days": 90},
                    suggestion="dissolve",
                )
                for i in range(n)
            ),
            batch_size=2000,
        )


def clear_findings() -> None:
    from cleanup.models import Finding

    Finding.objects.all().delete()


def per_rule() -> dict:
    from django.utils import timezone  # noqa: F401

    from cleanup.rules import RULES, Context
    from cleanup.services import live_accounts

    context = Context(accounts=live_accounts(), today=TODAY)
    out = {}
    for rule in RULES:
        seconds, queries, hits = timed(lambda rule=rule: rule.check(context))
        out[rule.code] = {"s": seconds, "queries": queries, "hits": len(hits)}
    return out


def measure(rounds: int) -> dict:
    from django.db import connection

    from cleanup.models import Finding
    from cleanup.services import findings_evaluate
    from registry.models import Department

    runs = {"first": [], "rerun": [], "department": [], "read": [], "insert": []}
    queries, problems = {}, []
    department_id = Department.objects.order_by("pk").values_list("pk", flat=True)[0]
    findings_evaluate(today=TODAY)  # a warm-up
    for round_ in range(rounds):
        clear_findings()
        seconds, count, summary = timed(lambda: findings_evaluate(today=TODAY))
        runs["first"].append(seconds)
        queries["first"] = count
        written = Finding.objects.count()
        if summary.new != written:
            problems.append(f"round {round_ + 1}: {summary.new} new but {written} rows")

        seconds, count, summary = timed(lambda: findings_evaluate(today=TODAY))
        runs["rerun"].append(seconds)
        queries["rerun"] = count
        writes = [q for q in connection.queries if q["sql"].lstrip().startswith(WRITES)]
        if writes or summary.new or summary.resolved or summary.changed:
            problems.append(f"round {round_ + 1}: the rerun wrote {len(writes)} statements")

        seconds, count, _summary = timed(
            lambda: findings_evaluate(department_ids={department_id}, today=TODAY)
        )
        runs["department"].append(seconds)
        queries["department"] = count

        seconds, count, _rows = timed(reference_read)
        runs["read"].append(seconds)
        queries["read"] = count

        clear_findings()
        seconds, count, _ = timed(lambda written=written: reference_insert(written))
        runs["insert"].append(seconds)
        queries["insert"] = count
        clear_findings()
        print(
            f"round {round_ + 1}/{rounds}: first {runs['first'][-1]:.2f} s, rerun "
            f"{runs['rerun'][-1]:.2f} s, department {runs['department'][-1]:.3f} s, read "
            f"{runs['read'][-1]:.2f} s, insert {runs['insert'][-1]:.2f} s ({written} findings)"
        )
    findings_evaluate(today=TODAY)
    rules = per_rule()
    # The same bound cleanup/tests/test_queries.py holds on small data.
    problems += [
        f"{code}: {row['queries']} queries" for code, row in rules.items() if row["queries"] > 2
    ]
    return {
        "vendor": connection.vendor,
        "findings": written,
        "median_s": {k: statistics.median(v) for k, v in runs.items()},
        "min_s": {k: min(v) for k, v in runs.items()},
        "max_s": {k: max(v) for k, v in runs.items()},
        "queries": queries,
        "rules": rules,
        "problems": problems,
    }


def print_report(results: dict, n_accounts: int, info: dict, loaded: dict, rounds: int) -> None:
    median, low, high, queries = (
        results["median_s"],
        results["min_s"],
        results["max_s"],
        results["queries"],
    )
    per_k = 1000 / n_accounts
    print()
    print(
        f"{n_accounts} accounts, {loaded['members']} roster members on {loaded['groups']} "
        f"groups, {loaded['staff']} staff, {info['database']}, median of {rounds} rounds; "
        f"{results['findings']} findings"
    )
    print(f"{'':44} {'total s':>8} {'min–max s':>15} {'ms/1000 acc':>11} {'queries':>8}")
    for label, key in [
        ("first evaluation, every finding new", "first"),
        ("rerun, nothing changed (writes nothing)", "rerun"),
        ("one department on demand", "department"),
        ("reference: read what the rules read", "read"),
        ("reference: bulk insert of the findings", "insert"),
    ]:
        print(
            f"{label:44} {median[key]:8.3f} {low[key]:7.3f}–{high[key]:<7.3f} "
            f"{median[key] * 1000 * per_k:11.1f} {queries[key]:8d}"
        )
    print()
    print(f"rerun ÷ read: {median['rerun'] / median['read']:.1f}")
    print(f"first ÷ (read + insert): {median['first'] / (median['read'] + median['insert']):.1f}")
    print()
    print(f"{'rule':28} {'s':>7} {'queries':>8} {'accounts found':>15}")
    for code, row in results["rules"].items():
        print(f"{code:28} {row['s']:7.3f} {row['queries']:8d} {row['hits']:15d}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    add_database_url(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    args = parser.parse_args()
    for name in ("departments", "accounts", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(ROOT))
    tmpdir = Path(tempfile.mkdtemp(prefix="bench-findings-"))
    try:
        with database(args.database_url, tmpdir) as url:
            configure_environment(tmpdir, url)
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connection

            started = dt.datetime.now().astimezone()
            t0 = time.perf_counter()
            call_command("migrate", interactive=False, verbosity=0)
            t1 = time.perf_counter()
            loaded = load_data(args.departments, args.accounts, args.members)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            t2 = time.perf_counter()
            info = machine()
            print(
                f"database: {info['database']}, migrated in {t1 - t0:.1f} s, loaded in "
                f"{t2 - t1:.1f} s"
            )
            results = measure(args.rounds)
            print_report(results, args.accounts, info, loaded, args.rounds)
            for problem in results["problems"]:
                print(f"ERROR  {problem}")
            RESULTS_DIR.mkdir(exist_ok=True)
            out = RESULTS_DIR / f"bench_findings-{results['vendor']}-{started:%Y%m%d-%H%M%S}.json"
            out.write_text(
                json.dumps(
                    {
                        "benchmark": "bench/bench_findings.py",
                        "started": started.isoformat(timespec="seconds"),
                        "duration_s": round(time.perf_counter() - t0, 1),
                        "settings": {**vars(args), "database_url": bool(args.database_url)},
                        "loaded": loaded,
                        "machine": {
                            **info,
                            "commit": info.get("commit") or git("rev-parse", "HEAD"),
                        },
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
