"""The "Moderators" group: exactly what acting on reports needs. Staff outside it may read the
report queue and the audit log but act on nothing, and never hear a moderation copy."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("moderation", "report", ["view", "change", "moderate"]),
    ("moderation", "hold", ["view", "add", "change"]),
    ("moderation", "auditentry", ["view"]),
    ("rooms", "space", ["view"]),
    ("rooms", "participant", ["view"]),
    ("rooms", "suspension", ["view", "add", "change"]),
    ("rooms", "stagechange", ["view"]),
    ("recordings", "recording", ["view"]),
    ("clips", "clip", ["view"]),
    ("auth", "user", ["view"]),
]


def codename(action: str, model: str) -> str:
    return action if action == "moderate" else f"{action}_{model}"


def forwards(apps, schema_editor):
    # Permissions are made after migrations run; make them now so the group can hold them.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for app_label, model, actions in PERMISSIONS:
        for action in actions:
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename(action, model))
            )
    group.permissions.set(wanted)


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
