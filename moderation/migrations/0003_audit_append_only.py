"""The audit log is append-only in the database itself: a trigger refuses UPDATE and DELETE on
its table, so not even the ORM, a shell or the admin can rewrite what staff did. PostgreSQL
raises from a plpgsql function; SQLite from a RAISE(ABORT) trigger."""

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
CREATE TRIGGER moderation_audit_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_audit_append_only();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS moderation_audit_no_update ON {TABLE};
DROP TRIGGER IF EXISTS moderation_audit_no_truncate ON {TABLE};
DROP FUNCTION IF EXISTS moderation_audit_append_only();
"""
SQLITE_UP = [
    f"CREATE TRIGGER moderation_audit_no_update BEFORE UPDATE ON {TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER moderation_audit_no_delete BEFORE DELETE ON {TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS moderation_audit_no_update;",
    "DROP TRIGGER IF EXISTS moderation_audit_no_delete;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_reports")]

    operations = [migrations.RunPython(forwards, backwards)]
