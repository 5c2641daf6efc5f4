"""Database writes that must land although the connection drops: reconnect and try again."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

# A dropped, refused or terminated connection (and SQLite's "database is locked").
DATABASE_ERRORS = (OperationalError, InterfaceError)
T = TypeVar("T")


def db_retrying(
    operation: Callable[[], T],
    *,
    attempts: int = 5,
    first_wait: float = 0.2,
    failures: list[str] | None = None,
) -> T:
    """Run a short autocommit write, reconnecting and retrying with a doubling wait when the
    database fails; the last failure is raised. ``failures`` collects the errors on the way.

    Inside a transaction nothing is retried: the transaction is lost with its connection.
    """
    for attempt in range(attempts):
        try:
            return operation()
        except DATABASE_ERRORS as exc:
            if failures is not None:
                failures.append(str(exc).strip()[:200])
            if connection.in_atomic_block or attempt == attempts - 1:
                raise
            logger.warning("Database write failed (%s); reconnecting, attempt %d", exc, attempt + 2)
            connection.close()
            time.sleep(first_wait * 2**attempt)
    raise AssertionError("unreachable")
