"""recordings' part when rooms announces something (rooms/signals.py)."""

from django.dispatch import receiver

from recordings import services
from recordings.spans import close_span, open_span
from rooms.signals import recording_switched, space_ended, space_started


@receiver(space_started)
def open_first_span(sender, space, **kwargs):
    if space.recording:
        open_span(space, space.started_at)


@receiver(recording_switched)
def switch_span(sender, space, on, at, **kwargs):
    if on:
        open_span(space, at)
    else:
        close_span(space, at)


@receiver(space_ended)
def keep_and_render(sender, space, **kwargs):
    services.space_ended(space)
