"""The audit trail cannot be changed, nor deleted before its time, by any path: the model, its
querysets, Django's own deletions, raw SQL. The database's triggers hold on SQLite and PostgreSQL
(the suite's two passes); the retention purge is the one way rows leave."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent, AuditImmutable
from audit.services import audit_purge, audit_record
from registry.tests.factories import UserFactory

Action = AuditEvent.Action
TABLE = AuditEvent._meta.db_table


def _event(days_old: float = 0, **fields) -> AuditEvent:
    return AuditEvent.objects.create(
        timestamp=timezone.now() - timedelta(days=days_old),
        action=Action.LOGIN,
        outcome=AuditEvent.Outcome.SUCCESS,
        **fields,
    )


def _sql(statement: str, params=()) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


@pytest.mark.parametrize(
    "change",
    [
        lambda: AuditEvent.objects.update(detail="rewritten"),
        lambda: AuditEvent.objects.filter(action=Action.LOGIN).update(outcome="failure"),
        lambda: AuditEvent.objects.bulk_update(
            [AuditEvent(pk=e.pk, detail="rewritten") for e in AuditEvent.objects.all()], ["detail"]
        ),
        lambda: AuditEvent._base_manager.update(detail="rewritten"),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent._base_manager.filter(action=Action.LOGIN).delete(),
    ],
    ids=["update", "filtered", "bulk_update", "base manager", "delete", "base manager delete"],
)
def test_its_querysets_refuse_to_change_or_delete_rows(db, change):
    _event(detail="as it was")
    _event(days_old=400, detail="as it was")
    with pytest.raises(AuditImmutable), transaction.atomic():  # bulk_update's atomic is ours
        change()
    assert list(AuditEvent.objects.values_list("detail", flat=True)) == ["as it was"] * 2


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET detail = 'rewritten'",
        f"UPDATE {TABLE} SET timestamp = timestamp",  # even a no-op update: nothing changes rows
        f"UPDATE {TABLE} SET user_id = NULL, username = 'someone else'",
    ],
)
def test_the_database_refuses_every_update(db, statement):
    event = _event(days_old=400, user=UserFactory(), detail="as it was")
    with pytest.raises(IntegrityError):
        _sql(statement)
    assert AuditEvent.objects.filter(pk=event.pk, detail="as it was", user__isnull=False).exists()


def test_the_database_refuses_to_delete_a_row_younger_than_the_retention(db, settings):
    young = _event(days_old=settings.NEWMEDIA_AUDIT_RETENTION_DAYS - 1)
    with pytest.raises(IntegrityError):
        _sql(f"DELETE FROM {TABLE} WHERE id = %s", [young.pk])
    assert AuditEvent.objects.filter(pk=young.pk).exists()


def test_the_database_lets_rows_past_the_retention_go(db, settings):
    old = _event(days_old=settings.NEWMEDIA_AUDIT_RETENTION_DAYS + 1)
    assert _sql(f"DELETE FROM {TABLE} WHERE id = %s", [old.pk]) == 1


def test_the_purge_deletes_only_rows_past_the_retention(db, settings):
    days = settings.NEWMEDIA_AUDIT_RETENTION_DAYS
    old, recent = _event(days_old=days + 1), _event(days_old=days - 1)
    assert audit_purge() == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert audit_purge() == 0
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_a_purge_with_a_later_cutoff_still_cannot_delete_young_rows(db, settings):
    """A clock running ahead moves a purge's cutoff, not the database's."""
    _event(days_old=1)
    cutoff = timezone.now() + timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.purge_before(cutoff)
    assert AuditEvent.objects.count() == 1


def test_a_deleted_user_leaves_the_rows_with_the_name_and_no_link(db):
    """on_delete=SET_NULL is the one update the trail takes: the link goes, the name stays."""
    user = UserFactory(username="leaver")
    audit_record(action=Action.LOGIN, user=user)
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.user, event.username) == (None, "leaver")


# Serialized like the transactional tests around it, which expect to find the tables empty.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_empties_the_trail_and_leaves_the_guard_in_place():
    _event(detail="young")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    _event(detail="after the flush")
    with pytest.raises(IntegrityError):
        _sql(f"UPDATE {TABLE} SET detail = 'rewritten'")
