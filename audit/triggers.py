"""The audit trail's guard in the database, declared once for SQLite and PostgreSQL.

The triggers refuse every UPDATE of an audit row, and every DELETE of a row younger than
NEWMEDIA_AUDIT_RETENTION_DAYS, whoever sends it: the ORM's queryset methods, raw SQL, a shell.
One update passes: the one that Django's ``on_delete=SET_NULL`` sends when a user account is
deleted, which empties ``user_id`` and changes nothing else (the row keeps the user name as text).
The retention purge (``audit.services.audit_purge``) deletes only rows past the period, which the
triggers let through. The period is read when ``migrate`` creates the triggers (after every run,
newmedia/dbtriggers.py): a changed setting takes effect at the next ``migrate``.
"""

from django.conf import settings

from newmedia.dbtriggers import TriggerSet

from .models import AuditEvent

TABLE = AuditEvent._meta.db_table
REFUSED_UPDATE = "audit events are append-only: rows cannot be changed"
ERRCODE = "integrity_constraint_violation"  # class 23: Django raises IntegrityError
REFUSED_DELETE = "audit events are kept for the retention period: only the purge deletes them"


def _unchanged_but_user(old: str, new: str, equal: str) -> str:
    """SQL: the row loses its user and nothing else changes (every other column, derived from
    the model, so a new column is guarded without editing this file)."""
    columns = [f.column for f in AuditEvent._meta.concrete_fields if f.name != "user"]
    same = " AND ".join(f'{old}."{c}" {equal} {new}."{c}"' for c in columns)
    return f'{old}."user_id" IS NOT NULL AND {new}."user_id" IS NULL AND {same}'


def append_only() -> TriggerSet:
    days = int(settings.NEWMEDIA_AUDIT_RETENTION_DAYS)
    return TriggerSet(
        name="audit_append_only",
        app_label="audit",
        tables=(TABLE,),
        create={
            "sqlite": [
                f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
                WHEN NOT ({_unchanged_but_user("OLD", "NEW", "IS")})
                BEGIN SELECT RAISE(ABORT, '{REFUSED_UPDATE}'); END""",
                # Django stores SQLite's datetimes as UTC text, which sorts as time does.
                f"""CREATE TRIGGER audit_event_no_early_delete BEFORE DELETE ON {TABLE}
                WHEN OLD."timestamp" > strftime('%Y-%m-%d %H:%M:%f', 'now', '-{days} days')
                BEGIN SELECT RAISE(ABORT, '{REFUSED_DELETE}'); END""",
            ],
            "postgresql": [
                f"""CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
                BEGIN
                  IF TG_OP = 'UPDATE' THEN
                    IF {_unchanged_but_user("OLD", "NEW", "IS NOT DISTINCT FROM")} THEN
                      RETURN NEW;
                    END IF;
                    RAISE EXCEPTION '{REFUSED_UPDATE}' USING ERRCODE = '{ERRCODE}';
                  END IF;
                  IF OLD."timestamp" > now() - interval '{days} days' THEN
                    RAISE EXCEPTION '{REFUSED_DELETE}' USING ERRCODE = '{ERRCODE}';
                  END IF;
                  RETURN OLD;
                END $$ LANGUAGE plpgsql""",
                f"""CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
                FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
            ],
        },
        drop={
            "sqlite": [
                "DROP TRIGGER IF EXISTS audit_event_no_update",
                "DROP TRIGGER IF EXISTS audit_event_no_early_delete",
            ],
            "postgresql": ["DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE"],
        },
    )
