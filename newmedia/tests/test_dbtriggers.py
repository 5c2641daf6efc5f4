"""Declared database triggers survive every migration: a migration that makemigrations generates
for a changed field of ``registry_account`` or ``approvals_filing`` (both named by the account
tally's triggers) migrates a populated database on SQLite and on PostgreSQL, and afterwards the
triggers are there again and the tallies (accounts, school-wide, open findings) equal the
register."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from .databases import postgres_server_url, throwaway_postgres

BASE_DIR = Path(settings.BASE_DIR)

# Runs in a process of its own, in a copy of the two apps' migrations: migrates, writes a
# register, widens one field of each table as a developer would (makemigrations), migrates
# again, then checks that the triggers count new writes and that the tally equals a recount.
SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from django.conf import settings
    settings.MIGRATION_MODULES = {"registry": "scratch.registry", "approvals": "scratch.approvals"}
    import django
    import django.utils.timezone
    django.setup()
    from django.core.management import call_command
    from django.db.models import Count, Sum
    from approvals.models import AccountTally, Filing, SchoolTally
    from cleanup.models import Finding, FindingTally
    from approvals.tests.factories import state_fields
    from registry.models import Account
    from registry.tests.factories import AccountFactory, DepartmentFactory

    def tallied():
        rows = AccountTally.objects.values_list("department", "platform", "state")
        return {r[:3]: r[3] for r in rows.annotate(n_=Sum("n")) if r[3]}

    def counted():
        rows = Filing.objects.values_list("account__department", "account__platform", "state")
        return {r[:3]: r[3] for r in rows.annotate(n_=Count("pk"))}

    def others():
        school = SchoolTally.objects.values_list("state").annotate(n_=Sum("n"))
        findings = FindingTally.objects.values_list("department").annotate(n_=Sum("n"))
        return {s: n for s, n in school if n}, {d: n for d, n in findings if n}

    def others_counted():
        school = Filing.objects.values_list("state").annotate(n_=Count("pk"))
        findings = Finding.objects.open().values_list("account__department")
        return dict(school), dict(findings.annotate(n_=Count("pk")))

    call_command("migrate", verbosity=0)
    department = DepartmentFactory()
    for number, state in enumerate(["draft", "submitted", "registered"]):
        account = AccountFactory(department=department, platform="qq_group", name=f"群{number}")
        Filing.objects.create(account=account, **state_fields(state))
        Finding.objects.create(account=account, rule="R1", severity="blocking")
    Account._meta.get_field("platform").max_length = 40
    Filing._meta.get_field("state").max_length = 60
    call_command("makemigrations", "registry", "approvals", name="widen", verbosity=0)
    call_command("migrate", verbosity=0)
    assert tallied() == counted(), (tallied(), counted())
    Filing.objects.filter(state="draft").update(state="submitted")
    Account.objects.filter(name="群2").update(platform="wechat_group")
    assert tallied() == counted(), (tallied(), counted())
    assert others() == others_counted(), (others(), others_counted())
    Account.objects.filter(name="群1").update(department=DepartmentFactory())
    Finding.objects.filter(account__name="群0").update(resolved_at=django.utils.timezone.now())
    assert others() == others_counted(), (others(), others_counted())
    print(sorted(path.parent.name for path in Path(sys.argv[1]).rglob("*_widen.py")))
    """
)


def migrate_a_widened_schema(tmp_path: Path, database_url: str) -> str:
    scratch = tmp_path / "scratch"
    for app in ("registry", "approvals"):
        shutil.copytree(
            BASE_DIR / app / "migrations",
            scratch / app,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    (scratch / "__init__.py").touch()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "trigger-test"}
    env["DJANGO_SETTINGS_MODULE"] = "newmedia.settings.base"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_a_generated_alter_field_on_both_tables_migrates_on_sqlite(tmp_path):
    output = migrate_a_widened_schema(tmp_path, f"sqlite:///{tmp_path / 'site.sqlite3'}")
    assert output.strip() == "['approvals', 'registry']"


@pytest.mark.postgres
def test_a_generated_alter_field_on_both_tables_migrates_on_postgresql(tmp_path):
    with throwaway_postgres(postgres_server_url(), "newmedia_trigger_test") as url:
        output = migrate_a_widened_schema(tmp_path, url)
    assert output.strip() == "['approvals', 'registry']"
