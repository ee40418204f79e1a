from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Spaces"

    def ready(self):
        from rooms import receivers  # noqa: F401  (connects the start notifications to space_started)
