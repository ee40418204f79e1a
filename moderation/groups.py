"""The "Moderators" group and exactly the permissions acting on reports needs.

Migration 0004 makes it; a post_migrate handler (ModerationConfig.ready) makes sure it is there
after every `migrate` and every test-database flush (Django's TransactionTestCase empties the
tables, rows from data migrations included, and sends post_migrate again). It only adds what is
missing: permissions an operator gave the group on purpose are kept."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

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


def ensure_moderators_group(apps=global_apps, using="default"):
    """The group with at least PERMISSIONS; returns it."""
    # Permissions are made after each app's migrations; make the ones needed here now.
    for label in {app_label for app_label, _, _ in PERMISSIONS}:
        config = apps.get_app_config(label)
        made_up = getattr(config, "models_module", None) is None  # a historical app (a migration)
        if made_up:
            config.models_module = True
        create_permissions(config, apps=apps, verbosity=0, using=using)
        if made_up:
            config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    wanted = [
        Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename(action, model))
        for app_label, model, actions in PERMISSIONS
        for action in actions
    ]
    group.permissions.add(*wanted)
    return group


def on_post_migrate(sender, using="default", **kwargs):
    ensure_moderators_group(using=using)
