"""A clip's audio: who is audible in a range, and the mix of the voices that said yes.

Everything reads the space's per-speaker tracks (recordings' TrackReader) over the clip's
ranges only, so the cost follows the clip, not the recording. A voice is only ever read
here when the caller passes it in: the callers pass consenting voices (and, for a speaker's
own preview, that speaker)."""

import os

import numpy as np
from django.core.files.storage import default_storage

from recordings.audio.encoders import M4AWriter, MP3Writer, Peaks
from recordings.audio.loudness import LoudnessMeter, gain_to, soft_limit
from recordings.audio.mixdown import TrackReader, track_users
from rooms.media.audio import SAMPLE_RATE
from rooms.media.tracks import chunk_start_ms, track_prefix

MS = SAMPLE_RATE // 1000
FRAME = 20 * MS  # voice activity is judged per 20 ms
VOICED_RMS = 200.0  # int16 units, about -44 dBFS: above room noise and codec hiss
VOICED_MS = 300  # a voice heard for less than this in the whole clip is not "audible"

Ranges = list[tuple[int, int]]

__all__ = ["audible_speakers", "encode", "mix", "read_voice", "track_users", "tracks_reach", "voiced_ms"]


def read_voice(space_id: int, user_id: int, ranges: Ranges) -> np.ndarray:
    """One speaker's audio over the ranges (float32, int16 scale; silence where absent)."""
    reader = TrackReader(space_id, user_id)
    parts = []
    for a, b in ranges:
        part = np.zeros((b - a) * MS, dtype=np.float32)
        reader.add_into(part, a * MS)
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def voiced_ms(samples: np.ndarray) -> int:
    frames = len(samples) // FRAME
    if not frames:
        return 0
    blocks = samples[: frames * FRAME].astype(np.float64).reshape(frames, FRAME)
    rms = np.sqrt((blocks**2).mean(axis=1))
    return int((rms > VOICED_RMS).sum()) * 20


def audible_speakers(space_id: int, ranges: Ranges) -> list[int]:
    """The users whose tracks carry a voice in the ranges (on stage but silent does not count)."""
    return [user for user in track_users(space_id) if voiced_ms(read_voice(space_id, user, ranges)) >= VOICED_MS]


def tracks_reach(space_id: int, end_ms: int, chunk_ms: int) -> bool:
    """Whether every track that has audio before `end_ms` is stored up to it: a chunk is
    written whole (chunk_ms long, or cut short only where the voice left the stage)."""
    for user in track_users(space_id):
        try:
            _, files = default_storage.listdir(track_prefix(space_id, user))
        except FileNotFoundError:
            continue
        starts = [chunk_start_ms(f) for f in files if f.endswith(".flac")]
        if starts and max(starts) + chunk_ms < end_ms:
            return False
    return True


def mix(space_id: int, users: list[int], ranges: Ranges) -> np.ndarray:
    total = sum(b - a for a, b in ranges) * MS
    out = np.zeros(total, dtype=np.float32)
    for user in users:
        out += read_voice(space_id, user, ranges)
    return out


def encode(samples: np.ndarray, workdir: str, *, aac_bit_rate: int, mp3_kbps: int, target_lufs: float = -16.0):
    """Loudness-normalize and encode to M4A and MP3 in `workdir`; returns (m4a, mp3, peaks)."""
    meter = LoudnessMeter()
    scaled = samples / 32768
    meter.add(scaled)
    measured = meter.integrated()
    gain = gain_to(target_lufs, measured)
    block = soft_limit(scaled * gain) if len(samples) else scaled
    m4a_path, mp3_path = os.path.join(workdir, "clip.m4a"), os.path.join(workdir, "clip.mp3")
    m4a, mp3 = M4AWriter(m4a_path, aac_bit_rate), MP3Writer(mp3_path, mp3_kbps, 7)
    peaks = Peaks(len(block), limit=600)
    m4a.write(block)
    mp3.write(block)
    peaks.add(block)
    m4a.close()
    mp3.close()
    return m4a_path, mp3_path, peaks.finish()
