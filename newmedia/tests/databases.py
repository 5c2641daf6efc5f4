"""Databases of their own for tests that run the project in another process."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import dj_database_url
import pytest


def postgres_server_url() -> str:
    """The PostgreSQL server the suite runs against, or skip when it runs on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or "postgresql" not in dj_database_url.parse(url)["ENGINE"]:
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")
    return url


@contextmanager
def throwaway_postgres(url: str, name: str) -> Iterator[str]:
    """A new, empty database ``name`` on the server of ``url``, dropped afterwards."""
    import psycopg

    server = dj_database_url.parse(url)
    params = {
        "host": server["HOST"] or None,
        "port": server["PORT"] or None,
        "user": server["USER"] or None,
        "password": server["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield urlsplit(url)._replace(path=f"/{name}").geturl()
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def second_connection(**options):
    """A psycopg connection of its own to the database this test uses (Django's ``default``),
    to hold locks or cut connections from outside the code under test."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        **options,
    )
