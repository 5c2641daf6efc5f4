"""The account tally's triggers (``AccountTally``), declared once for SQLite and PostgreSQL.

A filing counts under its account's department and platform, its state and its kind of
closure: inserting one adds 1 there, deleting one subtracts 1, and changing a filing's state,
kind or account, or an account's department or platform, moves the 1. ``migrate`` creates them
after every run and recounts the register (newmedia/dbtriggers.py); no migration does.

On PostgreSQL the triggers on filings fire once a statement and apply all its rows (PostgreSQL's
transition tables) as one grouped upsert: per row, they made an import of 10,000 new accounts a
second slower. Rows are applied in key order, so two transactions moving accounts between the
same keys lock them in the same order and cannot deadlock. An UPDATE trigger with transition
tables cannot name columns: it fires on every update of a filing and counts only the rows whose
account, state or kind of closure changed. The trigger on accounts (a change of department or
platform, which is rare) stays per row. SQLite has no statement-level triggers.
"""

from newmedia.dbtriggers import TriggerSet

KEY = "(department_id, platform, state, closure_kind)"
INTO = f"INSERT INTO approvals_accounttally {KEY[:-1]}, n)"
UPSERT = f"ON CONFLICT {KEY} DO UPDATE SET n = approvals_accounttally.n + excluded.n"

SQLITE = [
    f"""CREATE TRIGGER approvals_tally_filing_insert AFTER INSERT ON approvals_filing
    BEGIN
      {INTO}
      SELECT department_id, platform, NEW.state, NEW.closure_kind, 1
      FROM registry_account WHERE id = NEW.account_id {UPSERT};
    END""",
    """CREATE TRIGGER approvals_tally_filing_delete AFTER DELETE ON approvals_filing
    BEGIN
      UPDATE approvals_accounttally SET n = n - 1
      WHERE (department_id, platform) = (
        SELECT department_id, platform FROM registry_account WHERE id = OLD.account_id
      ) AND state = OLD.state AND closure_kind = OLD.closure_kind;
    END""",
    f"""CREATE TRIGGER approvals_tally_filing_update
    AFTER UPDATE OF account_id, state, closure_kind ON approvals_filing
    WHEN OLD.account_id IS NOT NEW.account_id OR OLD.state IS NOT NEW.state
      OR OLD.closure_kind IS NOT NEW.closure_kind
    BEGIN
      UPDATE approvals_accounttally SET n = n - 1
      WHERE (department_id, platform) = (
        SELECT department_id, platform FROM registry_account WHERE id = OLD.account_id
      ) AND state = OLD.state AND closure_kind = OLD.closure_kind;
      {INTO}
      SELECT department_id, platform, NEW.state, NEW.closure_kind, 1
      FROM registry_account WHERE id = NEW.account_id {UPSERT};
    END""",
    f"""CREATE TRIGGER approvals_tally_account_update
    AFTER UPDATE OF department_id, platform ON registry_account
    WHEN OLD.department_id IS NOT NEW.department_id OR OLD.platform IS NOT NEW.platform
    BEGIN
      UPDATE approvals_accounttally SET n = n - 1
      WHERE department_id = OLD.department_id AND platform = OLD.platform
        AND (state, closure_kind) IN (
          SELECT state, closure_kind FROM approvals_filing WHERE account_id = OLD.id
        );
      {INTO}
      SELECT NEW.department_id, NEW.platform, state, closure_kind, 1
      FROM approvals_filing WHERE account_id = NEW.id {UPSERT};
    END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS approvals_tally_{name}"
    for name in ("filing_insert", "filing_delete", "filing_update", "account_update")
]

# A filing's row in a transition table, with its account's department and platform.
CHANGED = """(o.account_id, o.state, o.closure_kind)
        IS DISTINCT FROM (nw.account_id, nw.state, nw.closure_kind)"""

POSTGRESQL = [
    f"""CREATE FUNCTION approvals_tally_add(
      p_department bigint, p_platform varchar, p_state varchar, p_kind varchar, p_delta integer
    ) RETURNS void LANGUAGE sql AS $$
      {INTO} VALUES (p_department, p_platform, p_state, p_kind, p_delta) {UPSERT}
    $$""",
    """CREATE FUNCTION approvals_tally_account() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM approvals_tally_add(d, p, s, k, delta) FROM (
        SELECT OLD.department_id AS d, OLD.platform AS p, f.state AS s, f.closure_kind AS k,
               -1 AS delta
        FROM approvals_filing f WHERE f.account_id = OLD.id
        UNION ALL
        SELECT NEW.department_id, NEW.platform, f.state, f.closure_kind, 1
        FROM approvals_filing f WHERE f.account_id = NEW.id
      ) AS changes ORDER BY d, p, s, k;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER approvals_tally_account_update
    AFTER UPDATE OF department_id, platform ON registry_account FOR EACH ROW
    WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id
      OR OLD.platform IS DISTINCT FROM NEW.platform)
    EXECUTE FUNCTION approvals_tally_account()""",
    *(
        f"""CREATE FUNCTION approvals_tally_filings_{event}() RETURNS trigger LANGUAGE plpgsql
        AS $$
        BEGIN
          {INTO}
          SELECT a.department_id, a.platform, f.state, f.closure_kind, {sign}COUNT(*)
          FROM {rows} f JOIN registry_account a ON a.id = f.account_id
          GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          {UPSERT};
          RETURN NULL;
        END $$"""
        for event, rows, sign in (("inserted", "new_filings", ""), ("deleted", "old_filings", "-"))
    ),
    f"""CREATE FUNCTION approvals_tally_filings_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {INTO}
      SELECT d, p, s, k, SUM(delta) FROM (
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
      ) AS changes
      GROUP BY d, p, s, k HAVING SUM(delta) <> 0 ORDER BY d, p, s, k
      {UPSERT};
      RETURN NULL;
    END $$""",
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
    "DROP TRIGGER IF EXISTS approvals_tally_account_update ON registry_account",
    *(
        f"DROP FUNCTION IF EXISTS approvals_tally_{name}()"
        for name in (
            "filing",
            "account",
            "filings_inserted",
            "filings_deleted",
            "filings_updated",
        )
    ),
    "DROP FUNCTION IF EXISTS approvals_tally_add(bigint, varchar, varchar, varchar, integer)",
]

# The register as it stands, counted afresh.
FILL = f"""{INTO}
SELECT a.department_id, a.platform, f.state, f.closure_kind, COUNT(*)
FROM approvals_filing f JOIN registry_account a ON a.id = f.account_id
GROUP BY a.department_id, a.platform, f.state, f.closure_kind"""

ACCOUNT_TALLY = TriggerSet(
    name="approvals_tally",
    app_label="approvals",
    tables=("approvals_filing", "registry_account", "approvals_accounttally"),
    create={"sqlite": SQLITE, "postgresql": POSTGRESQL},
    drop={"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP},
    refill=["DELETE FROM approvals_accounttally", FILL],
)
