"""Backups and the embedded SQLite default, each against a real database file or server.

`backup` and `restore` run as real commands in subprocesses on a database of their own (the
suite's own test database is in memory, and has no file to back up); the comparisons read every
table and every uploaded file.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from newmedia.backups import BackupError, backup_restore

from .databases import postgres_server_url, throwaway_postgres

BASE_DIR = Path(settings.BASE_DIR)
POSTGRES_TEST_DATABASE = "newmedia_backup_test"

# Each process reads before it writes inside one transaction: the pattern that fails with
# "database is locked" when a deferred transaction cannot upgrade its read snapshot.
WRITER = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.db import transaction
from registry.models import Department
name, ready, expected, rows = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
(ready / name).touch()
while len(list(ready.iterdir())) < expected:
    time.sleep(0.005)
for number in range(rows):
    with transaction.atomic():
        Department.objects.filter(code__startswith=name).count()
        Department.objects.create(code=f"{name}-{number}", name=f"{name} {number}", kind="office")
"""
BACKUP_AMID_WRITERS = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.core.management import call_command
ready, expected, output = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
(ready / "backup").touch()
while len(list(ready.iterdir())) < expected:
    time.sleep(0.005)
time.sleep(0.05)  # let the writers get going
call_command("backup", output=Path(output))
"""


@dataclass
class Site:
    """An installation of its own: a database, a MEDIA_ROOT and the environment to run it."""

    root: Path
    env: dict[str, str]
    media: Path
    database: Path | None = None  # the SQLite file, if it is SQLite

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def backup(self) -> Path:
        archive = Path(self.manage("backup", "-o", str(self.root / "backups")).stdout.strip())
        assert archive.parent == self.root / "backups" and archive.name.endswith(".tar.gz")
        assert archive.stat().st_mode & 0o077 == 0  # it holds personal data
        return archive


def _site(root: Path, database_url: str, database: Path | None = None) -> Site:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newmedia.settings.base",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(root / "media"),
        "EMAIL_FILE_PATH": str(root / "mail"),
        "SECRET_KEY": "x",
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    return Site(root=root, env=env, media=root / "media", database=database)


def _files(media: Path) -> dict[str, bytes]:
    return {
        path.relative_to(media).as_posix(): path.read_bytes()
        for path in sorted(media.rglob("*"))
        if path.is_file()
    }


def _damage_files(media: Path) -> None:
    first, second, *_ = sorted(path for path in media.rglob("*") if path.is_file())
    first.write_bytes(b"overwritten")
    second.unlink()
    (media / "added-later").mkdir()
    (media / "added-later" / "stray.png").write_bytes(b"not in the backup")


def _add_upload(media: Path) -> None:
    # A name outside ASCII and a nested directory, beside the demo's evidence screenshots.
    (media / "notes" / "2026").mkdir(parents=True)
    (media / "notes" / "2026" / "说明.txt").write_bytes("清理整治\n".encode())


def _rewrite(archive: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """Copy an archive with its members changed by ``change`` (name → bytes, in order)."""
    with tarfile.open(archive) as tar:
        members = {member.name: tar.extractfile(member).read() for member in tar}
    change(members)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def _list_in_manifest(members: dict[str, bytes], name: str) -> None:
    manifest = json.loads(members["manifest.json"])
    data = members[name]
    manifest["files"].append(
        {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    members["manifest.json"] = json.dumps(manifest).encode()


# ------------------------------------------------------------------------------
# SQLite
# ------------------------------------------------------------------------------
def _sqlite_tables(path: Path) -> dict[str, list]:
    with closing(sqlite3.connect(path)) as db:
        names = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        tables = {
            name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }
        tables["(schema)"] = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        ).fetchall()
    return tables


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory) -> Path:
    """A migrated SQLite file with the demo data and its uploads, made once for this module."""
    root = tmp_path_factory.mktemp("seeded")
    site = _site(root, f"sqlite:///{root / 'db.sqlite3'}", root / "db.sqlite3")
    site.manage("migrate", "--noinput")
    site.manage("seed_demo")
    _add_upload(site.media)
    return root


@pytest.fixture(scope="module")
def seeded_archive(seeded_sqlite) -> Path:
    """A backup of the seeded installation, which every copy of it matches."""
    return _site(seeded_sqlite, f"sqlite:///{seeded_sqlite / 'db.sqlite3'}").backup()


@pytest.fixture
def sqlite_site(seeded_sqlite, tmp_path) -> Site:
    """A copy of the seeded installation for one test (beside, not in, the test's MEDIA_ROOT)."""
    root = tmp_path / "site"
    root.mkdir()
    with (
        closing(sqlite3.connect(seeded_sqlite / "db.sqlite3")) as source,
        closing(sqlite3.connect(root / "db.sqlite3")) as copy,
    ):
        source.backup(copy)
    shutil.copytree(seeded_sqlite / "media", root / "media")
    return _site(root, f"sqlite:///{root / 'db.sqlite3'}", root / "db.sqlite3")


def _damage_sqlite(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE registry_department SET name = name || ' (renamed)'")
        db.execute("DELETE FROM registry_staff WHERE id % 2 = 0")
        db.execute(
            "INSERT INTO registry_department (code, name, kind) VALUES ('ZZ', 'Z', 'office')"
        )
        db.execute("CREATE TABLE stray (x)")


@pytest.mark.parametrize("damage", ["wiped", "changed"])
def test_it_restores_every_table_and_file_of_a_sqlite_site(sqlite_site, damage):
    archive = sqlite_site.backup()
    tables, files = _sqlite_tables(sqlite_site.database), _files(sqlite_site.media)
    assert tables["registry_account"] and tables["django_fsm_log_statelog"]
    assert "notes/2026/说明.txt" in files and any(name.startswith("evidence/") for name in files)

    if damage == "wiped":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_site.database}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(sqlite_site.media)
    else:
        _damage_sqlite(sqlite_site.database)
        _damage_files(sqlite_site.media)
    sqlite_site.manage("restore", str(archive), "--yes")

    assert _sqlite_tables(sqlite_site.database) == tables
    assert _files(sqlite_site.media) == files


def test_it_explains_and_changes_nothing_without_yes(sqlite_site, seeded_archive):
    _damage_sqlite(sqlite_site.database)
    tables, files = _sqlite_tables(sqlite_site.database), _files(sqlite_site.media)

    done = sqlite_site.manage("restore", str(seeded_archive), check=False)

    assert done.returncode == 1
    assert "恢复它将替换" in done.stdout and str(sqlite_site.database) in done.stdout
    assert "--yes" in done.stderr
    assert _sqlite_tables(sqlite_site.database) == tables
    assert _files(sqlite_site.media) == files


def test_it_refuses_a_tampered_archive_and_changes_nothing(sqlite_site, seeded_archive, tmp_path):
    def change_one_byte(members):
        name = next(name for name in members if name.startswith("media/evidence/"))
        data = bytearray(members[name])
        data[len(data) // 2] ^= 0xFF
        members[name] = bytes(data)

    tampered = _rewrite(seeded_archive, tmp_path / "tampered.tar.gz", change_one_byte)
    _damage_sqlite(sqlite_site.database)
    _damage_files(sqlite_site.media)
    tables, files = _sqlite_tables(sqlite_site.database), _files(sqlite_site.media)

    done = sqlite_site.manage("restore", str(tampered), "--yes", check=False)

    assert done.returncode == 1
    assert "已损坏" in done.stderr and "SHA-256" in done.stderr
    assert _sqlite_tables(sqlite_site.database) == tables
    assert _files(sqlite_site.media) == files


def test_it_refuses_an_archive_with_a_changed_compressed_byte(seeded_archive, tmp_path, settings):
    data = bytearray(seeded_archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    corrupt = tmp_path / "corrupt.tar.gz"
    corrupt.write_bytes(bytes(data))
    (settings.MEDIA_ROOT / "kept.txt").parent.mkdir(parents=True)
    (settings.MEDIA_ROOT / "kept.txt").write_text("untouched")

    with pytest.raises(BackupError):
        backup_restore(archive=corrupt)
    assert _files(settings.MEDIA_ROOT) == {"kept.txt": b"untouched"}


@pytest.mark.parametrize(
    "name", ["../newmedia-escaped.txt", "media/../../newmedia-escaped.txt", "/absolute.txt"]
)
def test_it_refuses_members_that_point_outside_the_archive(
    seeded_archive, tmp_path, settings, name
):
    if name.startswith("/"):
        name = str(tmp_path / "escaped" / "absolute.txt")

    def add_escaping_member(members):
        members[name] = b"escaped"
        _list_in_manifest(members, name)

    crafted = _rewrite(seeded_archive, tmp_path / "crafted.tar.gz", add_escaping_member)

    with pytest.raises(BackupError, match="拒绝成员"):
        backup_restore(archive=crafted)
    assert not (tmp_path / "escaped").exists()
    assert not settings.MEDIA_ROOT.exists()


def test_it_refuses_an_archive_of_another_database_vendor(seeded_archive, tmp_path, settings):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def change_vendor(members):
        manifest = json.loads(members["manifest.json"])
        manifest["database"]["vendor"] = other
        members["manifest.json"] = json.dumps(manifest).encode()

    foreign = _rewrite(seeded_archive, tmp_path / "foreign.tar.gz", change_vendor)

    with pytest.raises(BackupError, match=f"中是 {other} 数据库"):
        backup_restore(archive=foreign)
    assert not settings.MEDIA_ROOT.exists()


def _run_together(site: Site, scripts: list[list[str]]) -> list[subprocess.CompletedProcess]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", *script],
            cwd=BASE_DIR,
            env=site.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for script in scripts
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        results.append(
            subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        )
    return results


def _department_codes(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {row[0] for row in db.execute("SELECT code FROM registry_department")}


def test_it_lets_two_processes_write_to_sqlite_at_once(sqlite_site, tmp_path):
    # Start from a file in the default rollback-journal mode: the settings must switch it.
    with closing(sqlite3.connect(sqlite_site.database)) as db:
        assert db.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    ready, rows = tmp_path / "ready", 200
    ready.mkdir()

    results = _run_together(
        sqlite_site, [[WRITER, name, str(ready), "2", str(rows)] for name in ("A", "B")]
    )

    assert [result.returncode for result in results] == [0, 0], [r.stderr for r in results]
    expected = {f"{name}-{number}" for name in ("A", "B") for number in range(rows)}
    assert expected <= _department_codes(sqlite_site.database)
    with closing(sqlite3.connect(sqlite_site.database)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_it_backs_up_a_consistent_snapshot_while_two_processes_write(sqlite_site, tmp_path):
    ready, output = tmp_path / "ready", tmp_path / "backups"
    ready.mkdir()

    results = _run_together(
        sqlite_site,
        [[WRITER, name, str(ready), "3", "300"] for name in ("A", "B")]
        + [[BACKUP_AMID_WRITERS, str(ready), "3", str(output)]],
    )

    assert [result.returncode for result in results] == [0, 0, 0], [r.stderr for r in results]
    (archive,) = output.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extract("database.sqlite3", tmp_path / "unpacked", filter="data")
    snapshot = tmp_path / "unpacked" / "database.sqlite3"
    with closing(sqlite3.connect(snapshot)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    codes = _department_codes(snapshot)
    for name in ("A", "B"):
        # Each writer's rows are committed in order, so a snapshot holds a prefix of them.
        count = sum(1 for code in codes if code.startswith(f"{name}-"))
        assert {code for code in codes if code.startswith(f"{name}-")} == {
            f"{name}-{number}" for number in range(count)
        }


# ------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------
@pytest.fixture
def postgres_url() -> str:
    url = postgres_server_url()
    missing = [program for program in ("pg_dump", "pg_restore") if not shutil.which(program)]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian package postgresql-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the PostgreSQL backup round trip")
        pytest.skip(message)
    return url


def _postgres_tables(url: str) -> dict[str, list]:
    import psycopg

    with psycopg.connect(url) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        tables = {
            name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }
        tables["(columns)"] = db.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
        ).fetchall()
        tables["(indexes)"] = db.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        tables["(sequences)"] = db.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return tables


def _damage_postgres(url: str, statements: list[str]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for statement in statements:
            db.execute(statement)


@pytest.mark.postgres
def test_it_restores_every_table_and_file_of_a_postgresql_site(postgres_url, tmp_path):
    with throwaway_postgres(postgres_url, POSTGRES_TEST_DATABASE) as url:
        site = _site(tmp_path, url)
        site.manage("migrate", "--noinput")
        site.manage("seed_demo")
        _add_upload(site.media)
        archive = site.backup()
        tables, files = _postgres_tables(url), _files(site.media)
        assert tables["registry_account"] and "notes/2026/说明.txt" in files

        _damage_postgres(
            url,
            [
                "UPDATE registry_department SET name = name || ' (renamed)'",
                "DELETE FROM django_fsm_log_statelog WHERE id % 2 = 0",
                "INSERT INTO registry_department (code, name, kind) VALUES ('ZZ', 'Z', 'office')",
            ],
        )
        _damage_files(site.media)
        site.manage("restore", str(archive), "--yes")

        assert _postgres_tables(url) == tables
        assert _files(site.media) == files

        # A table the backup does not have would survive pg_restore --clean: refused.
        _damage_postgres(url, ["CREATE TABLE stray (x integer)"])
        done = site.manage("restore", str(archive), "--yes", check=False)
        assert done.returncode == 1 and "stray" in done.stderr
        assert "stray" in _postgres_tables(url)
