"""What the benchmarks share: the database they measure on, the machine they ran on, and git."""

import argparse
import os
import platform
import sqlite3
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def add_database_url(parser) -> None:
    """The ``--database-url`` option every benchmark takes (see ``database``): a PostgreSQL
    server, or nothing for SQLite."""
    parser.add_argument(
        "--database-url",
        default="",
        type=_postgres_url,
        help="a PostgreSQL server (postgres://user@host:port/any): a database of its own is "
        "created on it and dropped afterwards; default: SQLite in a temporary directory",
    )


def _postgres_url(url: str) -> str:
    if url and not url.startswith(("postgres://", "postgresql://")):
        raise argparse.ArgumentTypeError("must name a PostgreSQL server")
    return url


@contextmanager
def database(database_url: str, tmpdir: Path):
    """The database URL to measure on: a SQLite file in ``tmpdir``, or with ``database_url``
    (any database on a PostgreSQL server) a database of its own on that server, dropped after."""
    if database_url:
        with postgres_database(database_url) as url:
            yield url
    else:
        yield f"sqlite:///{tmpdir / 'bench.sqlite3'}"


@contextmanager
def postgres_database(server_url: str):
    """A database of its own on the server of ``server_url``, dropped afterwards."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"newmedia_bench_{uuid.uuid4().hex[:8]}"
    admin = {
        "dbname": "postgres",
        "user": parts.username,
        "password": parts.password,
        "host": parts.hostname,
        "port": parts.port,
    }
    with psycopg.connect(autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> dict:
    """The machine, the software and the code a run measured (Django must be set up)."""
    import django
    import gunicorn
    from django.db import connection

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) // 1024} MiB"
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        database_version = cursor.fetchone()[0]
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory": memory,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "database": f"{connection.vendor} {database_version}",
        "sqlite_library": sqlite3.sqlite_version,
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": len(git("status", "--porcelain").splitlines()),
    }


def git(*args: str) -> str:
    """Read-only git output, or "" outside a checkout. Takes no lock and writes no index, so it
    cannot get in the way of someone committing at the same time."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()
