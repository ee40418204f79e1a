from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        from django.db.models.signals import post_migrate

        from moderation.groups import on_post_migrate
        from moderation.models import Hold
        from recordings.keepers import keep_copies

        # An active hold keeps the space's moderation copy past its retention.
        keep_copies(lambda: Hold.objects.active().values("space_id"))
        # The Moderators group is there after every migrate and every test-database flush.
        post_migrate.connect(on_post_migrate, sender=self)
