"""Import and export of the registration form, 10,000 rows, in-process over a fresh SQLite
database, side by side in one run with hand-written lower bounds:

* import lower bound: openpyxl read-only + one department lookup + ``bulk_create`` in batches of
  1,000 (what a one-off script would do, with no checks at all);
* ours: ``approvals.services.imports.sheet_import`` (the page's, the admin's and the command's
  path: python-calamine, header search, django-import-export with every row checked), timed
  for new rows, for a re-import of the same file (nothing changes) and for a re-import where
  every row changed (the upsert path);
* ours on an office's own workbook (issue 12): the same number of rows on three sheets (QQ群,
  微信群, 公众号) with the offices' headings and no platform, naming level or category column,
  so that every row's platform, naming level and category are inferred; new rows and re-import;
* export lower bound: the same 10,000 rows written by openpyxl in write-only mode, no layout;
  ours: the laid-out form (``approvals.services.exports.form_xlsx``).

Targets (issue 4): each import at most 0.75 × the import lower bound's time, at most 200 queries
per 10,000 rows, peak memory (tracemalloc, in a separate run) under 150 MB; the laid-out export
at most 1.3 × the plain export, in a constant number of queries.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--rounds 3]

Prints a table and the target checks, and writes the same as JSON to bench/results/. Exits 1 if
an import reports problems or a round trip changes anything.
"""

import argparse
import datetime as dt
import io
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import ROOT, add_database_url, database, machine

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEPARTMENTS = 40
IMPORT_TARGET = 0.75
EXPORT_TARGET = 1.3
QUERY_TARGET = 200
MEMORY_TARGET_MB = 150


def setup(tmpdir: Path, database_url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-import-not-a-secret-" + os.urandom(8).hex(),
            "DJANGO_SETTINGS_MODULE": "newmedia.settings.base",
            "MEDIA_ROOT": str(tmpdir / "media"),
            "EMAIL_FILE_PATH": str(tmpdir / "mail"),
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_file(rows: int) -> bytes:
    """A filled-in form as an office sends it: headers in Chinese, numbers as numbers."""
    import openpyxl

    from approvals.tests.sheets import HEADERS
    from registry.models import Department

    Department.objects.bulk_create(
        Department(code=f"B{i:02d}", name=f"基准测试部门{i:02d}", kind="college")
        for i in range(DEPARTMENTS)
    )
    platforms = ["QQ群", "微信公众号", "钉钉群", "抖音", "微博"]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for i in range(rows):
        platform = platforms[i % len(platforms)]
        sheet.append(
            [
                i + 1,
                f"基准测试部门{i % DEPARTMENTS:02d}",
                f"基准测试工作群{i}",
                platform,
                "订阅号" if platform == "微信公众号" else "",
                600_000_000 + i,  # a number cell, as Excel keeps it
                "以部门名义",
                "工作群",
                "布置日常工作、传达通知",
                dt.date(2024, 9, 1) + dt.timedelta(days=i % 300),
                None,
                f"负责人{i % 500}",
                "办公室主任",
                13_800_000_000 + i,  # a phone typed as a number
                f"审核人{i % 300}",
                8 + i % 2000,
                "是",
                "2026-11-01",
                "保留",
                "",
                "",
                "",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def make_office_file(rows: int) -> bytes:
    """The same number of rows as an office's own workbook: a sheet per platform, the offices'
    headings, no platform, naming level or category column (departments made by make_file)."""
    import openpyxl

    sheets = {
        "QQ群": [
            "QQ群名称",
            "QQ群号",
            "群主",
            "管理员",
            "群主电话",
            "群人数",
            "建群时间",
            "建群目的",
        ],
        "微信群": [
            "微信群名称",
            "建立者",
            "管理者",
            "手机号码",
            "成员数量",
            "建群时间",
            "微信群用途对象",
        ],
        "公众号": [
            "账号名称",
            "原始ID",
            "责任人",
            "运维人员",
            "联系电话",
            "粉丝量",
            "开设时间",
            "服务类型",
        ],
    }
    book = openpyxl.Workbook(write_only=True)
    made = {}
    for name, headings in sheets.items():
        made[name] = book.create_sheet(name)
        made[name].append(["所在单位", *headings])
    names = list(sheets)
    for i in range(rows):
        sheet = names[i % 3]
        person, phone = f"负责人{i % 500}", 13_800_000_000 + i
        created = dt.date(2024, 9, 1) + dt.timedelta(days=i % 300)
        department = f"基准测试部门{i % DEPARTMENTS:02d}"
        if sheet == "QQ群":
            cells = [
                f"基准QQ群{i}",
                600_000_000 + i,
                person,
                f"管理员{i % 300}",
                phone,
                8 + i % 2000,
            ]
            cells += [created, "布置日常工作"]
        elif sheet == "微信群":
            cells = [f"基准微信群{i}", person, f"管理员{i % 300}", phone, 8 + i % 400, created]
            cells += ["本部门教职工"]
        else:
            cells = [f"基准公众号{i}", f"gh_{i:012d}", person, f"运维{i % 300}", phone, 100 + i]
            cells += [created, "订阅号"]
        made[sheet].append([department, *cells])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def lower_bound_import(data: bytes) -> int:
    """openpyxl read-only, one department lookup, bulk_create in batches: no checks at all."""
    import openpyxl
    from django.db import transaction

    from registry.models import Account, Department

    rows = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(
        min_row=2, values_only=True
    )
    departments = {d.name: d.pk for d in Department.objects.all()}
    platforms = {"QQ群": "qq_group", "微信公众号": "wechat_official", "钉钉群": "dingtalk_group"}
    platforms |= {"抖音": "douyin", "微博": "weibo"}
    accounts = [
        Account(
            department_id=departments[row[1]],
            name=row[2],
            platform=platforms[row[3]],
            account_type="subscription" if row[4] else "",
            number=str(row[5]),
            naming_level="department",
            category="work_group",
            purpose=row[8],
            created_on=row[9],
            owner_name=row[11],
            owner_post=row[12],
            owner_phone=str(row[13]),
            security_contact_name=row[14],
            member_count=row[15],
            real_name_admission=True,
            last_active_on=dt.date(2026, 11, 1),
        )
        for row in rows
    ]
    with transaction.atomic():
        Account.objects.bulk_create(accounts, batch_size=1000)
    return len(accounts)


def clear() -> None:
    from approvals.models import Filing
    from registry.models import Account

    Filing.objects.all().delete()
    Account.objects.all().delete()


def ours(data: bytes, name: str = "bench.xlsx"):
    from approvals.services import imports

    report = imports.sheet_import(
        user=None, kind=imports.Kind.ACCOUNTS, data=data, file_name=name, dry_run=False
    )
    if not report.ok:
        for problem in report.problems[:10]:
            print(problem, file=sys.stderr)
        raise SystemExit(1)
    return report


def timed(fn, *args, rounds: int, before=None):
    """The best of ``rounds`` runs, and the queries of the last."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best, queries, result = float("inf"), 0, None
    for _round in range(rounds):
        if before:
            before()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            result = fn(*args)
            elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        queries = len(captured)
    return best, queries, result


def peak_mb(fn, *args, before=None) -> float:
    if before:
        before()
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024 / 1024


def changed_file(data: bytes) -> bytes:
    """The same form with every member count changed: every row an update."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2, min_col=16, max_col=16):
        row[0].value = row[0].value + 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def plain_export(accounts) -> bytes:
    """The lower bound of an export: the same cells, openpyxl write-only, no layout at all."""
    from openpyxl import Workbook

    from registry.exports import account_values

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for n, account in enumerate(accounts, 1):
        sheet.append([n, *account_values(account, mask=False)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def laid_out_export(department) -> bytes:
    from approvals.services import exports

    return exports.form_xlsx(department=department, mask=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    add_database_url(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, Path(tmp)) as url:
        setup(Path(tmp), url)
        return run(args)


def run(args) -> int:
    from registry.models import Account, Department

    data = make_file(args.rows)
    results = {}
    lb, lb_queries, _n = timed(lower_bound_import, data, rounds=args.rounds, before=clear)
    results["import lower bound (openpyxl + bulk_create)"] = (lb, lb_queries)
    new, new_queries, report = timed(ours, data, rounds=args.rounds, before=clear)
    assert len(report.new) == args.rows, report.summary()
    results["import, new rows (ours)"] = (new, new_queries)
    same, same_queries, report = timed(ours, data, rounds=args.rounds)
    if report.new or report.changed:
        print("a re-import of the same file changed rows:", report.summary(), file=sys.stderr)
        return 1
    results["re-import, same file (ours)"] = (same, same_queries)
    changed = changed_file(data)
    upsert, upsert_queries, report = timed(
        ours, changed, rounds=args.rounds, before=lambda: (clear(), ours(data))
    )
    assert len(report.changed) == args.rows, report.summary()
    results["re-import, every row changed (ours, upsert)"] = (upsert, upsert_queries)
    office = make_office_file(args.rows)
    office_new, office_new_queries, report = timed(ours, office, rounds=args.rounds, before=clear)
    assert len(report.new) == args.rows and len(report.inferred) == args.rows, report.summary()
    results["office workbook, 3 sheets, inferred (ours)"] = (office_new, office_new_queries)
    office_same, office_same_queries, report = timed(ours, office, rounds=args.rounds)
    if report.new or report.changed:
        print("a re-import of the office workbook changed rows:", report.summary(), file=sys.stderr)
        return 1
    results["re-import, office workbook (ours)"] = (office_same, office_same_queries)
    memory = {
        "new rows": peak_mb(ours, data, before=clear),
        "same file": peak_mb(ours, data),
    }

    # Export: everything in one department, so the laid-out form holds all the rows.
    department = Department.objects.get(code="B00")
    Account.objects.update(department=department)
    from approvals.services.exports import FORM_RELATED

    accounts = lambda: list(  # noqa: E731
        Account.objects.filter(department=department).select_related(*FORM_RELATED)
    )
    # Round by round, the plain export then ours: on a machine shared with other work, a busy
    # minute then weighs on both sides of the ratio alike.
    plain = laid = float("inf")
    for _round in range(args.rounds):
        seconds, plain_queries, _c = timed(lambda: plain_export(accounts()), rounds=1)
        plain = min(plain, seconds)
        seconds, laid_queries, _content = timed(laid_out_export, department, rounds=1)
        laid = min(laid, seconds)
    small = Department.objects.get(code="B01")
    Account.objects.filter(pk__in=Account.objects.values("pk")[:100]).update(department=small)
    _t, small_queries, _c = timed(laid_out_export, small, rounds=1)

    rows = []
    from django.db import connection

    print(f"\n{args.rows} rows, best of {args.rounds} runs, {connection.vendor}, in-process\n")
    print(f"{'':48} {'seconds':>8} {'× lower bound':>14} {'queries':>8}")
    for label, (seconds, queries) in results.items():
        ratio = seconds / lb
        rows.append(
            {
                "measure": label,
                "seconds": round(seconds, 3),
                "ratio": round(ratio, 3),
                "queries": queries,
            }
        )
        print(f"{label:48} {seconds:8.3f} {ratio:14.2f} {queries:8d}")
    print(f"{'export, plain openpyxl write-only':48} {plain:8.3f} {1:14.2f} {plain_queries:8d}")
    print(f"{'export, laid-out form (ours)':48} {laid:8.3f} {laid / plain:14.2f} {laid_queries:8d}")
    print(f"{'export, laid-out form of 100 rows':48} {'':8} {'':14} {small_queries:8d}")
    print(
        f"peak memory (tracemalloc): {memory['new rows']:.1f} MB new rows, "
        f"{memory['same file']:.1f} MB same file\n"
    )

    checks = [
        ("import, new rows ≤ 0.75 × lower bound", new / lb <= IMPORT_TARGET),
        ("re-import, same file ≤ 0.75 × lower bound", same / lb <= IMPORT_TARGET),
        ("re-import, every row changed ≤ 0.75 × lower bound", upsert / lb <= IMPORT_TARGET),
        ("office workbook, inferred ≤ 0.75 × lower bound", office_new / lb <= IMPORT_TARGET),
        ("re-import, office workbook ≤ 0.75 × lower bound", office_same / lb <= IMPORT_TARGET),
        (
            f"≤ {QUERY_TARGET} queries per import",
            max(new_queries, same_queries, upsert_queries, office_new_queries, office_same_queries)
            <= QUERY_TARGET * args.rows / 10_000,
        ),
        (f"peak memory < {MEMORY_TARGET_MB} MB", max(memory.values()) < MEMORY_TARGET_MB),
        ("laid-out export ≤ 1.3 × plain export", laid / plain <= EXPORT_TARGET),
        ("export queries constant (100 rows = 10,000 rows)", small_queries == laid_queries),
    ]
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"bench_import-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "database": connection.vendor,
                "rows": args.rows,
                "rounds": args.rounds,
                "imports": rows,
                "export": {
                    "plain_seconds": round(plain, 3),
                    "laid_out_seconds": round(laid, 3),
                    "ratio": round(laid / plain, 3),
                    "queries": laid_queries,
                    "queries_100_rows": small_queries,
                },
                "peak_memory_mb": {k: round(v, 1) for k, v in memory.items()},
                "checks": {label: ok for label, ok in checks},
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
