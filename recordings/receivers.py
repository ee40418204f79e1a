"""recordings' part when rooms announces something (rooms/signals.py)."""

from django.dispatch import receiver

from recordings import services
from recordings.spans import close_span, open_span
from rooms.signals import (
    embedded_engine_started,
    embedded_engine_stopped,
    recording_switched,
    space_ended,
    space_started,
)


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


@receiver(embedded_engine_started)
async def start_captioner(sender, engine, **kwargs):
    """Embedded mode: live captions are recognised in this process, on the engine's loop."""
    from recordings import captioner  # here: only a process with an engine needs the recogniser

    await captioner.start_embedded()


@receiver(embedded_engine_stopped)
async def stop_captioner(sender, engine, **kwargs):
    from recordings import captioner

    await captioner.stop_embedded()
