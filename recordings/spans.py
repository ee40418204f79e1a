"""The recorded spans of a live space, on the space's clock (ms since it started)."""

from datetime import datetime

from django.utils import timezone

from recordings.models import Recording
from rooms.models import Space


def space_ms(space: Space, at: datetime | None = None) -> int:
    """Where `at` (default: now) falls on the space's clock, in ms."""
    return max(0, round(((at or timezone.now()) - space.started_at).total_seconds() * 1000))


def open_span(space: Space, at: datetime | None = None) -> Recording:
    recording, _ = Recording.objects.get_or_create(space=space)
    if not recording.spans or recording.spans[-1][1] is not None:
        recording.spans.append([space_ms(space, at), None])
        recording.save(update_fields=["spans"])
    return recording


def close_span(space: Space, at: datetime | None = None) -> Recording | None:
    recording = Recording.objects.filter(space=space).first()
    if recording and recording.spans and recording.spans[-1][1] is None:
        start = recording.spans[-1][0]
        recording.spans[-1][1] = max(start, space_ms(space, at))
        recording.save(update_fields=["spans"])
    return recording
