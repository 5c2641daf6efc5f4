"""The account tallies' triggers (``AccountTally``, ``SchoolTally``), declared once for SQLite
and PostgreSQL.

An account counts 1 under its department and platform, and its filing's state and kind of
closure; an account without a filing yet (between an import and its drafts being opened, say)
under the state ``""`` (``NO_FILING``), so that the tallies count every account, as the lists
do. Inserting or deleting an account or a filing, changing a filing's state, kind or account, or
an account's department or platform, moves the 1. Each change is written as
new rows (deltas) into the department's tally and into the school-wide one, never as an update
of a shared row: two sessions writing at once therefore never wait for each other nor deadlock
on a tally, whatever they touch and in whatever order. ``dbtriggers.compact()`` (a beat task
every minute) folds each key's rows into one; reads sum the rows. ``migrate`` creates the
triggers after every run and recounts the register (newmedia/dbtriggers.py); no migration does.

On PostgreSQL the triggers on filings fire once a statement and write all its rows (its
transition tables) grouped: per row, they made an import of 10,000 accounts a second slower. An
UPDATE trigger with transition tables cannot name columns: it fires on every update of a filing
and counts only the rows whose account, state or kind of closure changed. The trigger on
accounts (a change of department or platform, which is rare) stays per row. SQLite has no
statement-level triggers.
"""

from newmedia.dbtriggers import TriggerSet

# The state an account without a filing counts under.
NO_FILING = ""

KEY = ("department_id", "platform", "state", "closure_kind")
INTO = "INSERT INTO approvals_accounttally (department_id, platform, state, closure_kind, n)"
SCHOOL_INTO = "INSERT INTO approvals_schooltally (platform, state, closure_kind, n)"


def _sqlite_filing(row: str, sign: str, when: str = "TRUE") -> str:
    """Both tallies' deltas for one filing row (``NEW`` or ``OLD``): its state counts ``sign``
    1, and its account's ``NO_FILING`` the opposite (only ``when`` that holds)."""
    other = "-" if sign == "" else ""
    return f"""
      {INTO} SELECT department_id, platform, {row}.state, {row}.closure_kind, {sign}1
      FROM registry_account WHERE id = {row}.account_id
      UNION ALL SELECT department_id, platform, '', '', {other}1
      FROM registry_account WHERE id = {row}.account_id AND {when};
      {SCHOOL_INTO} SELECT platform, {row}.state, {row}.closure_kind, {sign}1
      FROM registry_account WHERE id = {row}.account_id
      UNION ALL SELECT platform, '', '', {other}1
      FROM registry_account WHERE id = {row}.account_id AND {when};"""


def _sqlite_new_account(row: str, sign: str) -> str:
    """An account inserted (``NEW``, +1) or deleted (``OLD``, -1) without a filing."""
    return f"""
      {INTO} VALUES ({row}.department_id, {row}.platform, '', '', {sign}1);
      {SCHOOL_INTO} VALUES ({row}.platform, '', '', {sign}1);"""


def _sqlite_account(row: str, sign: str) -> str:
    """Both tallies' deltas for one account row (``NEW`` or ``OLD``) and its filing, or its
    ``NO_FILING`` when it has none; the school-wide one only when the platform changed."""
    counted = f"""COALESCE(f.state, ''), COALESCE(f.closure_kind, ''), {sign}1
      FROM (SELECT {row}.id AS id) AS a LEFT JOIN approvals_filing f ON f.account_id = a.id"""
    return f"""
      {INTO} SELECT {row}.department_id, {row}.platform, {counted};
      {SCHOOL_INTO} SELECT {row}.platform, {counted} WHERE OLD.platform IS NOT NEW.platform;"""


SQLITE = [
    f"""CREATE TRIGGER approvals_tally_account_insert AFTER INSERT ON registry_account
    BEGIN {_sqlite_new_account("NEW", "")}
    END""",
    f"""CREATE TRIGGER approvals_tally_account_delete AFTER DELETE ON registry_account
    BEGIN {_sqlite_new_account("OLD", "-")}
    END""",
    f"""CREATE TRIGGER approvals_tally_filing_insert AFTER INSERT ON approvals_filing
    BEGIN {_sqlite_filing("NEW", "")}
    END""",
    f"""CREATE TRIGGER approvals_tally_filing_delete AFTER DELETE ON approvals_filing
    BEGIN {_sqlite_filing("OLD", "-")}
    END""",
    f"""CREATE TRIGGER approvals_tally_filing_update
    AFTER UPDATE OF account_id, state, closure_kind ON approvals_filing
    WHEN OLD.account_id IS NOT NEW.account_id OR OLD.state IS NOT NEW.state
      OR OLD.closure_kind IS NOT NEW.closure_kind
    BEGIN
      {_sqlite_filing("OLD", "-", "OLD.account_id IS NOT NEW.account_id")}
      {_sqlite_filing("NEW", "", "OLD.account_id IS NOT NEW.account_id")}
    END""",
    f"""CREATE TRIGGER approvals_tally_account_update
    AFTER UPDATE OF department_id, platform ON registry_account
    WHEN OLD.department_id IS NOT NEW.department_id OR OLD.platform IS NOT NEW.platform
    BEGIN {_sqlite_account("OLD", "-")} {_sqlite_account("NEW", "")}
    END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS approvals_tally_{name}"
    for name in (
        "account_insert",
        "account_delete",
        "filing_insert",
        "filing_delete",
        "filing_update",
        "account_update",
    )
]


def _postgresql_record(changes: str) -> str:
    """Write ``changes`` (rows of department d, platform p, state s, kind k and count n) into
    both tallies, in one statement."""
    return f"""WITH changes AS ({changes}),
        by_department AS ({INTO} SELECT d, p, s, k, n FROM changes)
      {SCHOOL_INTO} SELECT p, s, k, SUM(n) FROM changes GROUP BY p, s, k HAVING SUM(n) <> 0;"""


# An account row moved (``OLD`` to ``NEW``), with its filing's key or ``NO_FILING``.
ACCOUNT_CHANGES = """
    SELECT OLD.department_id AS d, OLD.platform AS p, COALESCE(f.state, '') AS s,
           COALESCE(f.closure_kind, '') AS k, -1 AS n
    FROM (SELECT OLD.id AS id) AS a LEFT JOIN approvals_filing f ON f.account_id = a.id
    UNION ALL
    SELECT NEW.department_id, NEW.platform, COALESCE(f.state, ''), COALESCE(f.closure_kind, ''), 1
    FROM (SELECT NEW.id AS id) AS a LEFT JOIN approvals_filing f ON f.account_id = a.id"""


def _accounts_counted(rows: str, sign: str) -> str:
    """Accounts inserted or deleted (a statement's transition table), without a filing."""
    return f"""
    SELECT department_id AS d, platform AS p, '' AS s, '' AS k, {sign}COUNT(*) AS n
    FROM {rows} GROUP BY 1, 2"""


# A filing's row in a transition table, with its account's department and platform.
CHANGED = """(o.account_id, o.state, o.closure_kind)
        IS DISTINCT FROM (nw.account_id, nw.state, nw.closure_kind)"""
FILING_CHANGES = f"""
    SELECT d, p, s, k, SUM(delta) AS n FROM (
      SELECT a.department_id AS d, a.platform AS p, o.state AS s, o.closure_kind AS k,
             -1 AS delta
      FROM old_filings o JOIN new_filings nw ON nw.id = o.id
      JOIN registry_account a ON a.id = o.account_id
      WHERE {CHANGED}
      UNION ALL
      SELECT a.department_id, a.platform, nw.state, nw.closure_kind, 1
      FROM old_filings o JOIN new_filings nw ON nw.id = o.id
      JOIN registry_account a ON a.id = nw.account_id
      WHERE {CHANGED}
      UNION ALL  -- a filing moved to another account: the old one has none now, the new one has
      SELECT a.department_id, a.platform, '', '', CASE WHEN a.id = o.account_id THEN 1 ELSE -1 END
      FROM old_filings o JOIN new_filings nw ON nw.id = o.id
      JOIN registry_account a ON a.id IN (o.account_id, nw.account_id)
      WHERE o.account_id <> nw.account_id
    ) AS deltas GROUP BY d, p, s, k HAVING SUM(delta) <> 0"""


def _filings_counted(rows: str, sign: str) -> str:
    """Filings inserted or deleted: their state counts ``sign`` 1, their account's
    ``NO_FILING`` the opposite."""
    other = "-" if sign == "" else ""
    return f"""
    SELECT a.department_id AS d, a.platform AS p, f.state AS s, f.closure_kind AS k,
           {sign}COUNT(*) AS n
    FROM {rows} f JOIN registry_account a ON a.id = f.account_id
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT a.department_id, a.platform, '', '', {other}COUNT(*)
    FROM {rows} f JOIN registry_account a ON a.id = f.account_id
    GROUP BY 1, 2"""


def _postgresql_function(name: str, changes: str) -> str:
    return f"""CREATE FUNCTION approvals_tally_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {_postgresql_record(changes)}
      RETURN NULL;
    END $$"""


POSTGRESQL = [
    _postgresql_function("accounts_inserted", _accounts_counted("new_accounts", "")),
    _postgresql_function("accounts_deleted", _accounts_counted("old_accounts", "-")),
    """CREATE TRIGGER approvals_tally_accounts_inserted AFTER INSERT ON registry_account
    REFERENCING NEW TABLE AS new_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_tally_accounts_inserted()""",
    """CREATE TRIGGER approvals_tally_accounts_deleted AFTER DELETE ON registry_account
    REFERENCING OLD TABLE AS old_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_tally_accounts_deleted()""",
    _postgresql_function("account", ACCOUNT_CHANGES),
    """CREATE TRIGGER approvals_tally_account_update
    AFTER UPDATE OF department_id, platform ON registry_account FOR EACH ROW
    WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id
      OR OLD.platform IS DISTINCT FROM NEW.platform)
    EXECUTE FUNCTION approvals_tally_account()""",
    _postgresql_function("filings_inserted", _filings_counted("new_filings", "")),
    _postgresql_function("filings_deleted", _filings_counted("old_filings", "-")),
    _postgresql_function("filings_updated", FILING_CHANGES),
    """CREATE TRIGGER approvals_tally_filings_inserted AFTER INSERT ON approvals_filing
    REFERENCING NEW TABLE AS new_filings
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_tally_filings_inserted()""",
    """CREATE TRIGGER approvals_tally_filings_deleted AFTER DELETE ON approvals_filing
    REFERENCING OLD TABLE AS old_filings
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_tally_filings_deleted()""",
    """CREATE TRIGGER approvals_tally_filings_updated AFTER UPDATE ON approvals_filing
    REFERENCING OLD TABLE AS old_filings NEW TABLE AS new_filings
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_tally_filings_updated()""",
]
# Every name these triggers ever had (migrations 0006 and 0008 of databases made before the
# triggers moved here included), so that dropping them leaves none behind.
POSTGRESQL_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS approvals_tally_{name} ON approvals_filing"
        for name in (
            "filing",
            "filing_update",
            "filings_inserted",
            "filings_deleted",
            "filings_updated",
        )
    ),
    *(
        f"DROP TRIGGER IF EXISTS approvals_tally_{name} ON registry_account"
        for name in ("account_update", "accounts_inserted", "accounts_deleted")
    ),
    *(
        f"DROP FUNCTION IF EXISTS approvals_tally_{name}()"
        for name in (
            "filing",
            "account",
            "accounts_inserted",
            "accounts_deleted",
            "filings_inserted",
            "filings_deleted",
            "filings_updated",
        )
    ),
    "DROP FUNCTION IF EXISTS approvals_tally_add(bigint, varchar, varchar, varchar, integer)",
]

# The register as it stands, counted afresh.
FILL = f"""{INTO}
SELECT a.department_id, a.platform, COALESCE(f.state, ''), COALESCE(f.closure_kind, ''), COUNT(*)
FROM registry_account a LEFT JOIN approvals_filing f ON f.account_id = a.id
GROUP BY 1, 2, 3, 4"""
SCHOOL_FILL = f"""{SCHOOL_INTO}
SELECT platform, state, closure_kind, SUM(n) FROM approvals_accounttally
GROUP BY platform, state, closure_kind"""

ACCOUNT_TALLY = TriggerSet(
    name="approvals_tally",
    app_label="approvals",
    tables=(
        "approvals_filing",
        "registry_account",
        "approvals_accounttally",
        "approvals_schooltally",
    ),
    create={"sqlite": SQLITE, "postgresql": POSTGRESQL},
    drop={"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP},
    refill=[
        "DELETE FROM approvals_accounttally",
        "DELETE FROM approvals_schooltally",
        FILL,
        SCHOOL_FILL,
    ],
    compact={"approvals_accounttally": KEY, "approvals_schooltally": KEY[1:]},
)
