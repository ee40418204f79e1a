"""Hearing the moderation copy around a report's moment: the per-speaker tracks over the
player's window, mixed (every voice, or the one voice asked for) and encoded to MP3.

Two minutes of one voice take a fraction of a second to mix and encode, so it is made when
staff press play. Once the space has ended its tracks no longer change, so the file is kept
under the space's folder (it goes with the copy when the copy is deleted) and served from
there with ranges; while the space is live the window is made afresh each time."""

import os
import tempfile

import numpy as np

from clips.audio import mix
from recordings.audio.encoders import MP3Writer
from recordings.audio.loudness import soft_limit
from rooms.media import storage
from rooms.media.files import exists
from rooms.media.tracks import closed_marker

MP3_KBPS = 64


def window_name(space_id: int, start_ms: int, end_ms: int, speaker_id: int | None) -> str:
    voice = speaker_id if speaker_id is not None else "all"
    return f"{storage.space_prefix(space_id)}review/{start_ms:010d}-{end_ms:010d}-{voice}.mp3"


def encode_window(space_id: int, users: list[int], start_ms: int, end_ms: int) -> bytes:
    """The voices of `users` over [start_ms, end_ms) of the space's clock, as MP3 bytes.
    Not loudness-normalized: staff hear how loud it was."""
    samples = mix(space_id, users, [(start_ms, end_ms)]) / 32768
    block = soft_limit(samples.astype(np.float32))
    with tempfile.TemporaryDirectory(prefix="roundtable-review-") as workdir:
        path = os.path.join(workdir, "window.mp3")
        writer = MP3Writer(path, MP3_KBPS, 7)
        writer.write(block)
        writer.close()
        with open(path, "rb") as f:
            return f.read()


def stored_window(space_id: int, users: list[int], start_ms: int, end_ms: int, speaker_id: int | None) -> str | None:
    """The window's storage name, made on first use, once the space's tracks are complete
    (None while it is live: the caller sends `encode_window`'s bytes instead)."""
    if not exists(closed_marker(space_id)):
        return None
    name = window_name(space_id, start_ms, end_ms, speaker_id)
    if not exists(name):
        storage.put(name, encode_window(space_id, users, start_ms, end_ms))
    return name
