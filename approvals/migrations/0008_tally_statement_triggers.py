"""The account tally's PostgreSQL triggers on filings, per statement instead of per row.

0006's row-level triggers ran a PL/pgSQL function and an upsert for every filing a statement
wrote: an import of 10,000 new accounts spent a second in them. These fire once a statement and
apply its rows (in PostgreSQL's transition tables) as one grouped upsert, in key order as before,
so that two transactions cannot deadlock on the tally's rows. An UPDATE trigger with transition
tables cannot name columns: it fires on every update of a filing and counts only the rows whose
account, state or kind of closure changed. The trigger on accounts (a change of department or
platform, which is rare) stays per row. SQLite has no statement-level triggers and keeps 0006's.
"""

from importlib import import_module

from django.db import migrations

UPSERT = """ON CONFLICT (department_id, platform, state, closure_kind)
      DO UPDATE SET n = approvals_accounttally.n + excluded.n"""
INTO = "INSERT INTO approvals_accounttally (department_id, platform, state, closure_kind, n)"
# A filing's row in a transition table, with its account's department and platform.
CHANGED = """(o.account_id, o.state, o.closure_kind)
        IS DISTINCT FROM (nw.account_id, nw.state, nw.closure_kind)"""

POSTGRESQL = [
    "DROP TRIGGER approvals_tally_filing ON approvals_filing",
    "DROP TRIGGER approvals_tally_filing_update ON approvals_filing",
    "DROP FUNCTION approvals_tally_filing()",
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
POSTGRESQL_DROP = [
    "DROP TRIGGER approvals_tally_filings_inserted ON approvals_filing",
    "DROP TRIGGER approvals_tally_filings_deleted ON approvals_filing",
    "DROP TRIGGER approvals_tally_filings_updated ON approvals_filing",
    "DROP FUNCTION approvals_tally_filings_inserted()",
    "DROP FUNCTION approvals_tally_filings_deleted()",
    "DROP FUNCTION approvals_tally_filings_updated()",
]


def per_statement(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)


def per_row(apps, schema_editor):
    """Back to 0006's triggers on filings."""
    if schema_editor.connection.vendor == "postgresql":
        previous = import_module("approvals.migrations.0006_account_tally")
        for statement in POSTGRESQL_DROP + [
            s for s in previous.POSTGRESQL if "approvals_tally_filing" in s
        ]:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0007_filing_queue_index")]

    operations = [migrations.RunPython(per_statement, per_row)]
