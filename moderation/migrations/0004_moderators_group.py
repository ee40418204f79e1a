"""The "Moderators" group: exactly what acting on reports needs. Staff outside it may read the
report queue and the audit log but act on nothing, and never hear a moderation copy."""

from django.db import migrations

from moderation.groups import GROUP, ensure_moderators_group


def forwards(apps, schema_editor):
    ensure_moderators_group(apps, using=schema_editor.connection.alias)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0003_audit_append_only"),
        ("rooms", "0004_safety"),
        ("recordings", "0005_transcript_search_index"),
        ("clips", "0002_audiogram"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
