"""The GIN index behind searching published transcripts (PostgreSQL only: on SQLite the search
is a plain contains match, recordings/search.py). Its expression is the one the search builds
with SearchVector("transcript_text", config="english"), so the planner can use it."""

from django.db import migrations

INDEX = "recordings_render_transcript_search"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON recordings_render "
            "USING gin (to_tsvector('english'::regconfig, COALESCE(transcript_text, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("recordings", "0004_transcripts")]
    operations = [migrations.RunPython(create, drop)]
