"""Mixing a recording from its per-speaker tracks and encoding it.

Two passes over the kept ranges of the space's clock, in blocks:
1. decode each speaker's FLAC chunks as the render moves forward, sum them, measure loudness,
   and spool the mix to a temporary file (so memory stays flat for any length);
2. apply the gain to the podcast target and a soft limiter, then feed the M4A and MP3 encoders
   and the waveform peaks.
Speakers who opted out of the recording are simply not read.
"""

import bisect
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.core.files.storage import default_storage

from recordings.audio.encoders import M4AWriter, MP3Writer, Peaks
from recordings.audio.loudness import LoudnessMeter, gain_to, soft_limit
from rooms.media.audio import SAMPLE_RATE
from rooms.media.encode import decode_file
from rooms.media.tracks import chunk_start_ms, track_prefix

BLOCK = SAMPLE_RATE * 10
SPOOL_SCALE = 0.5  # the mix is spooled as int16 at half scale: 6 dB of headroom for sums
MS = SAMPLE_RATE // 1000
AUDIBLE = 100  # peak in int16 units (about -50 dBFS): a voice above it was heard
# The longest a track chunk can be: config/settings.py bounds MEDIA_TRACK_CHUNK_SECONDS to 60,
# and the engine cuts a chunk once it holds that many seconds, in whole 20 ms frames.
LONGEST_CHUNK = 60 * SAMPLE_RATE


def track_users(space_id: int, storage=None) -> list[int]:
    storage = storage or default_storage
    try:
        dirs, _ = storage.listdir(track_prefix(space_id))
    except FileNotFoundError:
        return []
    return sorted(int(d) for d in dirs if d.isdigit())


class TrackReader:
    """One speaker's chunks, decoded lazily as reads move forward along the space's clock.

    A read that starts further on skips, undecoded, the chunks that start a longest chunk or
    more before it (they cannot reach it): a clip near the end of a long space decodes only
    the chunks around its range, not the whole track before it."""

    def __init__(self, space_id: int, user_id: int, storage=None):
        self.storage = storage or default_storage
        prefix = track_prefix(space_id, user_id)
        try:
            _, files = self.storage.listdir(prefix)
        except FileNotFoundError:
            files = []
        self.chunks = sorted((chunk_start_ms(f) * MS, prefix + f) for f in files if f.endswith(".flac"))
        self.starts = [start for start, _ in self.chunks]
        self.first = 0  # chunks before this index end before anything still to be read
        self.decoded: dict[str, np.ndarray] = {}
        self.user_id = user_id

    def _pcm(self, name: str) -> np.ndarray:
        if name not in self.decoded:
            with self.storage.open(name, "rb") as f:
                self.decoded[name] = decode_file(f.read())
        return self.decoded[name]

    def each_chunk(self):
        """(first sample on the space's clock, PCM) of every chunk in order, one decoded at a time."""
        for start, name in self.chunks:
            with self.storage.open(name, "rb") as f:
                yield start, decode_file(f.read())

    def _skip_to(self, start: int) -> None:
        """Move `first` past the chunks that end before `start` whatever their length."""
        reach = bisect.bisect_right(self.starts, start - LONGEST_CHUNK)
        for _, name in self.chunks[self.first : reach]:
            self.decoded.pop(name, None)
        self.first = max(self.first, reach)

    def add_into(self, out: np.ndarray, start: int) -> int:
        """Add this voice over [start, start + len(out)) of the space's clock into `out`.
        Returns its peak there (0: silent or absent)."""
        end = start + len(out)
        peak = 0
        self._skip_to(start)
        for index in range(self.first, len(self.chunks)):
            chunk_start, name = self.chunks[index]
            if chunk_start >= end:
                break
            pcm = self._pcm(name)
            chunk_end = chunk_start + len(pcm)
            if chunk_end <= start:
                if index == self.first:
                    self.first += 1
                    self.decoded.pop(name, None)
                continue
            lo, hi = max(start, chunk_start), min(end, chunk_end)
            part = pcm[lo - chunk_start : hi - chunk_start]
            out[lo - start : hi - start] += part
            peak = max(peak, int(part.max(initial=0)), -int(part.min(initial=0)))
        return peak


@dataclass
class RenderedAudio:
    m4a_path: str
    mp3_path: str
    samples: int
    peaks: list[float]
    loudness_lufs: float  # before normalization
    voices: list[int]  # user ids of the speakers heard in it

    @property
    def duration_ms(self) -> int:
        return self.samples * 1000 // SAMPLE_RATE


def blocks_of(ranges: list[tuple[int, int]]):
    """(start sample on the space's clock, length) for every block of the kept ranges."""
    for a, b in ranges:
        at, end = a * MS, b * MS
        while at < end:
            length = min(BLOCK, end - at)
            yield at, length
            at += length


def render(
    readers: list[TrackReader],
    ranges: list[tuple[int, int]],
    workdir: str,
    *,
    target_lufs: float = -16.0,
    aac_bit_rate: int = 64_000,
    mp3_kbps: int = 64,
    mp3_quality: int = 7,
    progress: Callable[[float], None] = lambda fraction: None,
) -> RenderedAudio:
    total = sum(b - a for a, b in ranges) * MS
    if total <= 0:
        raise ValueError("nothing to render")
    meter = LoudnessMeter()
    heard: set[int] = set()
    spool_path = os.path.join(workdir, "mix.s16")
    done = 0
    with open(spool_path, "wb") as spool:
        for start, length in blocks_of(ranges):
            mix = np.zeros(length, dtype=np.float32)
            for reader in readers:
                if reader.add_into(mix, start) > AUDIBLE:
                    heard.add(reader.user_id)
            mix *= 1 / 32768
            meter.add(mix)
            spool.write(np.clip(mix * (SPOOL_SCALE * 32768), -32768, 32767).astype(np.int16).tobytes())
            done += length
            progress(0.2 * done / total)
    measured = meter.integrated()
    gain = gain_to(target_lufs, measured) / SPOOL_SCALE / 32768

    m4a = M4AWriter(os.path.join(workdir, "audio.m4a"), aac_bit_rate)
    mp3 = MP3Writer(os.path.join(workdir, "audio.mp3"), mp3_kbps, mp3_quality)
    peaks = Peaks(total)
    done = 0
    with open(spool_path, "rb") as spool:
        while chunk := spool.read(BLOCK * 2):
            block = soft_limit(np.frombuffer(chunk, dtype=np.int16).astype(np.float32) * gain)
            m4a.write(block)
            mp3.write(block)
            peaks.add(block)
            done += len(block)
            progress(0.2 + 0.8 * done / total)
    m4a.close()
    mp3.close()
    os.unlink(spool_path)
    return RenderedAudio(
        m4a_path=os.path.join(workdir, "audio.m4a"),
        mp3_path=os.path.join(workdir, "audio.mp3"),
        samples=total,
        peaks=peaks.finish(),
        loudness_lufs=measured if math.isfinite(measured) else -70.0,
        voices=sorted(heard),
    )


def new_workdir() -> str:
    return tempfile.mkdtemp(prefix="roundtable-render-")
