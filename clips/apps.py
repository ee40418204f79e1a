from django.apps import AppConfig


class ClipsConfig(AppConfig):
    name = "clips"

    def ready(self):
        from clips import receivers  # noqa: F401  (connects them)
        from clips.models import Clip
        from recordings.keepers import keep_copies

        # A clip still being collected, asked about or made reads the space's tracks: they stay until it is done.
        keep_copies(lambda: Clip.objects.filter(state__in=Clip.OPEN).values("space_id"))
