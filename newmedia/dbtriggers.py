"""Database triggers that an app declares once, kept in place across every migration.

No migration creates these triggers. SQLite alters a column by remaking its table, which drops
the table's triggers (and fails outright when another table's trigger names the table being
remade); PostgreSQL refuses to change the type of a column that a trigger names. So `migrate`
drops every declared set before it runs anything (``pre_migrate``) and creates each set again
once all migrations have run (``post_migrate``), then lets the set recount what it keeps, since
the writes made while it was gone were not counted. A generated migration therefore needs no
care, whichever table it alters. ``flush`` (the tests' reset) drops every set before it empties
the tables and creates them again after (newmedia/management/commands/flush.py).

An app declares its sets in ``AppConfig.ready()`` with :func:`declare`; they are dropped and
created when ``migrate`` reaches that app's label.

A set that keeps counts (a tally) writes each change as a new row, a delta, rather than updating
a shared row, so that writers never wait for each other nor deadlock on it; its ``compact``
tables are folded by :func:`compact` (a beat task every minute), one row per key.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connections, transaction

__all__ = ["TriggerSet", "compact", "declare", "declared", "drop", "install"]


@dataclass(frozen=True)
class TriggerSet:
    """Triggers (and their functions) that live and die together.

    ``create`` and ``drop`` map a database vendor to its statements; ``drop`` must succeed
    whether or not the set, or even its tables, exist. ``refill`` statements run right after
    ``create``, in the same transaction, to recount what the triggers keep. ``compact`` maps
    each table of deltas the triggers write (with a count column ``n``) to its key columns.
    """

    name: str
    app_label: str
    tables: tuple[str, ...]
    create: Mapping[str, Sequence[str]]
    drop: Mapping[str, Sequence[str]]
    refill: Sequence[str] = ()
    compact: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def statements(self, which: Mapping[str, Sequence[str]], vendor: str) -> Sequence[str]:
        if vendor not in which:
            raise NotImplementedError(f"{self.name} has no triggers for {vendor}.")
        return which[vendor]


_DECLARED: dict[str, TriggerSet] = {}


def declare(trigger_set: TriggerSet) -> None:
    """Declare a set of triggers, once per process (a second declaration replaces the first)."""
    _DECLARED[trigger_set.name] = trigger_set


def declared(app_label: str | None = None) -> list[TriggerSet]:
    """The declared sets, all of them or one app's."""
    return [s for s in _DECLARED.values() if app_label in (None, s.app_label)]


def drop(trigger_sets: Sequence[TriggerSet], *, using: str = "default") -> None:
    """Drop the sets' triggers where they exist."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for trigger_set in trigger_sets:
            for statement in trigger_set.statements(trigger_set.drop, connection.vendor):
                cursor.execute(statement)


def install(trigger_sets: Sequence[TriggerSet], *, using: str = "default") -> list[TriggerSet]:
    """Create the sets whose tables all exist (afresh) and recount; return those created."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    ready = [s for s in trigger_sets if existing.issuperset(s.tables)]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for trigger_set in ready:
            if connection.vendor == "postgresql":
                # Writes wait until the triggers are in place and the recount is committed, so
                # none falls between the two.
                tables = ", ".join(connection.ops.quote_name(t) for t in trigger_set.tables)
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
            for statement in (
                *trigger_set.statements(trigger_set.drop, connection.vendor),
                *trigger_set.statements(trigger_set.create, connection.vendor),
                *trigger_set.refill,
            ):
                cursor.execute(statement)
    return ready


def drop_before_migrate(sender, using="default", **kwargs) -> None:
    """``pre_migrate``: take the app's triggers away while its migrations run."""
    drop(declared(sender.label), using=using)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    """``post_migrate``: put the app's triggers back and recount."""
    install(declared(sender.label), using=using)


def compact(trigger_sets: Sequence[TriggerSet] | None = None, *, using: str = "default") -> int:
    """Fold the deltas of the sets' tallies (every declared set's by default): each key with
    several rows becomes one row holding their sum (none when it is 0). Returns the rows removed.

    Only the rows this transaction deletes are summed (``DELETE … RETURNING``), so a delta
    written meanwhile, or still uncommitted, is left for the next run, and two runs at once never
    count a row twice. Reads sum the rows, so they see the same counts before and after.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    removed = 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for trigger_set in declared() if trigger_sets is None else trigger_sets:
            for table, key in trigger_set.compact.items():
                columns = ", ".join(quote(column) for column in key)
                cursor.execute(
                    f"DELETE FROM {quote(table)} WHERE ({columns}) IN ("
                    f"SELECT {columns} FROM {quote(table)} GROUP BY {columns} "
                    f"HAVING COUNT(*) > 1) RETURNING {columns}, n"
                )
                sums: Counter = Counter()
                for *values, n in cursor.fetchall():
                    sums[tuple(values)] += n
                    removed += 1
                rows = [(*values, n) for values, n in sums.items() if n]
                if rows:
                    cursor.executemany(
                        f"INSERT INTO {quote(table)} ({columns}, n) "
                        f"VALUES ({', '.join(['%s'] * (len(key) + 1))})",
                        rows,
                    )
                removed -= len(rows)
    return removed
