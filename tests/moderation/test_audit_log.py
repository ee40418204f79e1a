"""The audit log is append-only: the model refuses updates and deletes on any database, and on
PostgreSQL the table's trigger refuses them even from raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from moderation.models import AppendOnly, AuditEntry
from moderation.services import audit


@pytest.fixture
def entry(people):
    return audit(people.staff, AuditEntry.Action.END_SPACE, "space", people.space.pk, people.space.title, reason="x")


def test_it_adds_rows_with_names_copied_in(people, entry):
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_name, entry.target_label) == (people.staff.pk, "stella", "Founders talk")


def test_it_refuses_changing_or_deleting_a_row_through_the_orm(entry):
    entry.reason = "rewritten"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()

    entry.refresh_from_db()
    assert entry.reason == "x"


def test_it_keeps_rows_when_the_user_and_the_space_are_deleted(people, entry):
    people.space.delete()
    people.staff.delete()

    entry.refresh_from_db()
    assert (entry.actor_name, entry.target_label) == ("stella", "Founders talk")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (tier 2)")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE moderation_auditentry SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM moderation_auditentry WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes_on_postgresql(entry, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])

    entry.refresh_from_db()
    assert entry.reason == "x"
