from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "recordings"

    def ready(self):
        from recordings import receivers  # noqa: F401  (connects to rooms' signals)
