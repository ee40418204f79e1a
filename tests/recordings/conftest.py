"""Recordings made without an engine: each voice is written straight into the space's
tracks as FLAC chunks of a pure tone, exactly where the engine would put them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.models import Recording
from rooms.media import storage
from rooms.media.encode import encode_flac
from rooms.media.tracks import closed_marker, track_prefix
from tests.audio import tone


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def write_voice(space_id: int, user_id: int, freq: float, start_s: float, end_s: float, chunk_s: int = 6) -> None:
    """`user_id` says `freq` from `start_s` to `end_s` of the space's clock."""
    at = start_s
    while at < end_s:
        length = min(chunk_s, end_s - at)
        storage.put(f"{track_prefix(space_id, user_id)}{round(at * 1000):010d}.flac", encode_flac(tone(freq, length)))
        at += length
    storage.put(closed_marker(space_id), b"closed\n")


def end_recorded_space(space, spans_s: list[tuple[float, float]], length_s: float) -> Recording:
    """Mark `space` as live for `length_s` seconds with the recorder on during `spans_s`, then
    end it through the real service path (which queues the original render)."""
    from rooms.services.spaces import do_end_space

    started = timezone.now() - timedelta(seconds=length_s)
    space.started_at = started
    space.record = True
    space.save(update_fields=["started_at", "record"])
    recording, _ = Recording.objects.get_or_create(space=space)
    recording.spans = [[round(a * 1000), round(b * 1000)] for a, b in spans_s]
    recording.save(update_fields=["spans"])
    do_end_space(space.host, space.pk)
    space.refresh_from_db()
    recording.refresh_from_db()
    return recording
