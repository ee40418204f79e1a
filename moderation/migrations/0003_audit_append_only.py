"""The audit log is append-only in the database itself: on PostgreSQL a row trigger refuses
UPDATE and DELETE on its table, so not even raw SQL from a shell can rewrite what staff did.

TRUNCATE is left alone on purpose: it is what Django's test flush and an operator wiping a
whole database use, never a way to change single entries. SQLite (the one-box default) has no
trigger, because Django empties its tables with DELETE between transactional tests; there the
model refuses updates and deletes (moderation/models.py), as it does everywhere."""

from django.db import migrations

TABLE = "moderation_auditentry"
MESSAGE = "the moderation audit log is append-only"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION moderation_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER moderation_audit_no_update BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS moderation_audit_no_update ON {TABLE};
DROP FUNCTION IF EXISTS moderation_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_reports")]

    operations = [migrations.RunPython(forwards, backwards)]
