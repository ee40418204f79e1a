from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        from moderation.models import Hold
        from recordings.keepers import keep_copies

        # An active hold keeps the space's moderation copy past its retention.
        keep_copies(lambda: Hold.objects.active().values("space_id"))
