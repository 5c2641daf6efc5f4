"""The findings tally's triggers (``FindingTally``), declared once for SQLite and PostgreSQL.

An open finding (``resolved_at`` empty) counts 1 under its account's department and its
severity: opening one adds 1 there, resolving or deleting it subtracts 1, reopening it adds 1
again, and moving an account to another department moves its open findings' counts. As for the
account tallies (approvals/triggers.py), each change is written as a new row (a delta), never as
an update of a shared row, so that two sessions never wait for each other on it; the beat task
``dbtriggers.compact()`` folds each key's rows into one. ``migrate`` creates the triggers after
every run and recounts the findings (newmedia/dbtriggers.py); no migration does.

On PostgreSQL the triggers on findings fire once a statement and write all its rows grouped: a
clean-up check opens or resolves thousands of findings in one statement. The trigger on accounts
stays per row.
"""

from newmedia.dbtriggers import TriggerSet

KEY = ("department_id", "severity")
INTO = "INSERT INTO cleanup_findingtally (department_id, severity, n)"


def _sqlite_finding(row: str, sign: str) -> str:
    """The delta of one finding row (``NEW`` or ``OLD``), if it is open."""
    return f"""
      {INTO} SELECT department_id, {row}.severity, {sign}1
      FROM registry_account WHERE id = {row}.account_id AND {row}.resolved_at IS NULL;"""


def _sqlite_account(row: str, sign: str) -> str:
    """The deltas of an account row's open findings (``NEW`` or ``OLD``)."""
    return f"""
      {INTO} SELECT {row}.department_id, severity, {sign}COUNT(*)
      FROM cleanup_finding WHERE account_id = {row}.id AND resolved_at IS NULL
      GROUP BY severity;"""


SQLITE = [
    f"""CREATE TRIGGER cleanup_tally_finding_insert AFTER INSERT ON cleanup_finding
    BEGIN {_sqlite_finding("NEW", "")}
    END""",
    f"""CREATE TRIGGER cleanup_tally_finding_delete AFTER DELETE ON cleanup_finding
    BEGIN {_sqlite_finding("OLD", "-")}
    END""",
    f"""CREATE TRIGGER cleanup_tally_finding_update
    AFTER UPDATE OF account_id, severity, resolved_at ON cleanup_finding
    WHEN OLD.account_id IS NOT NEW.account_id OR OLD.severity IS NOT NEW.severity
      OR (OLD.resolved_at IS NULL) IS NOT (NEW.resolved_at IS NULL)
    BEGIN {_sqlite_finding("OLD", "-")} {_sqlite_finding("NEW", "")}
    END""",
    f"""CREATE TRIGGER cleanup_tally_account_update
    AFTER UPDATE OF department_id ON registry_account
    WHEN OLD.department_id IS NOT NEW.department_id
    BEGIN {_sqlite_account("OLD", "-")} {_sqlite_account("NEW", "")}
    END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS cleanup_tally_{name}"
    for name in ("finding_insert", "finding_delete", "finding_update", "account_update")
]

# A finding's row in a transition table, with what the tally counts of it.
CHANGED = """(o.account_id, o.severity, o.resolved_at IS NULL)
        IS DISTINCT FROM (nw.account_id, nw.severity, nw.resolved_at IS NULL)"""


def _findings_counted(rows: str, sign: str) -> str:
    return f"""
    {INTO} SELECT a.department_id, f.severity, {sign}COUNT(*)
    FROM {rows} f JOIN registry_account a ON a.id = f.account_id
    WHERE f.resolved_at IS NULL GROUP BY 1, 2"""


def _postgresql_function(name: str, statement: str) -> str:
    return f"""CREATE FUNCTION cleanup_tally_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {statement};
      RETURN NULL;
    END $$"""


POSTGRESQL = [
    _postgresql_function(
        "account",
        f"""{INTO} SELECT d, s, SUM(n) FROM (
        SELECT OLD.department_id AS d, f.severity AS s, -1 AS n
        FROM cleanup_finding f WHERE f.account_id = OLD.id AND f.resolved_at IS NULL
        UNION ALL
        SELECT NEW.department_id, f.severity, 1
        FROM cleanup_finding f WHERE f.account_id = NEW.id AND f.resolved_at IS NULL
      ) AS changes GROUP BY d, s HAVING SUM(n) <> 0""",
    ),
    """CREATE TRIGGER cleanup_tally_account_update
    AFTER UPDATE OF department_id ON registry_account FOR EACH ROW
    WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id)
    EXECUTE FUNCTION cleanup_tally_account()""",
    _postgresql_function("findings_inserted", _findings_counted("new_findings", "")),
    _postgresql_function("findings_deleted", _findings_counted("old_findings", "-")),
    _postgresql_function(
        "findings_updated",
        f"""{INTO} SELECT d, s, SUM(delta) FROM (
        SELECT a.department_id AS d, o.severity AS s, -1 AS delta
        FROM old_findings o JOIN new_findings nw ON nw.id = o.id
        JOIN registry_account a ON a.id = o.account_id
        WHERE o.resolved_at IS NULL AND {CHANGED}
        UNION ALL
        SELECT a.department_id, nw.severity, 1
        FROM old_findings o JOIN new_findings nw ON nw.id = o.id
        JOIN registry_account a ON a.id = nw.account_id
        WHERE nw.resolved_at IS NULL AND {CHANGED}
      ) AS changes GROUP BY d, s HAVING SUM(delta) <> 0""",
    ),
    """CREATE TRIGGER cleanup_tally_findings_inserted AFTER INSERT ON cleanup_finding
    REFERENCING NEW TABLE AS new_findings
    FOR EACH STATEMENT EXECUTE FUNCTION cleanup_tally_findings_inserted()""",
    """CREATE TRIGGER cleanup_tally_findings_deleted AFTER DELETE ON cleanup_finding
    REFERENCING OLD TABLE AS old_findings
    FOR EACH STATEMENT EXECUTE FUNCTION cleanup_tally_findings_deleted()""",
    """CREATE TRIGGER cleanup_tally_findings_updated AFTER UPDATE ON cleanup_finding
    REFERENCING OLD TABLE AS old_findings NEW TABLE AS new_findings
    FOR EACH STATEMENT EXECUTE FUNCTION cleanup_tally_findings_updated()""",
]
POSTGRESQL_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS cleanup_tally_findings_{event} ON cleanup_finding"
        for event in ("inserted", "deleted", "updated")
    ),
    "DROP TRIGGER IF EXISTS cleanup_tally_account_update ON registry_account",
    *(
        f"DROP FUNCTION IF EXISTS cleanup_tally_{name}()"
        for name in ("account", "findings_inserted", "findings_deleted", "findings_updated")
    ),
]

# The open findings as they stand, counted afresh.
FILL = f"""{INTO}
SELECT a.department_id, f.severity, COUNT(*)
FROM cleanup_finding f JOIN registry_account a ON a.id = f.account_id
WHERE f.resolved_at IS NULL
GROUP BY a.department_id, f.severity"""

FINDING_TALLY = TriggerSet(
    name="cleanup_tally",
    app_label="cleanup",
    tables=("cleanup_finding", "registry_account", "cleanup_findingtally"),
    create={"sqlite": SQLITE, "postgresql": POSTGRESQL},
    drop={"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP},
    refill=["DELETE FROM cleanup_findingtally", FILL],
    compact={"cleanup_findingtally": KEY},
)
