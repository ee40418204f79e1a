"""Per-speaker tracks: each speaker's own audio (silence while muted), in self-contained FLAC
chunks of MEDIA_TRACK_CHUNK_SECONDS named by their start on the space's clock:

    spaces/<space>/tracks/<user>/<start in ms, 10 digits>.flac

A stretch on stage is a run of back-to-back chunks; time off stage is simply absent. Cutting
any range of any voice is: list the user's chunks, take those overlapping the range, decode,
and place each at (start_ms - range_start) — no index to keep in sync."""

from concurrent.futures import Executor

import numpy as np

from rooms.media import storage
from rooms.media.audio import SAMPLE_RATE
from rooms.media.encode import encode_flac


def track_prefix(space_id: int, user_id: int | None = None) -> str:
    base = f"{storage.space_prefix(space_id)}tracks/"
    return base if user_id is None else f"{base}{user_id}/"


def closed_marker(space_id: int) -> str:
    """Written by the engine after the last chunk of every track of a space that ended."""
    return f"{storage.space_prefix(space_id)}closed"


def chunk_start_ms(name: str) -> int:
    return int(name.rsplit("/", 1)[-1].split(".")[0])


class TrackWriter:
    def __init__(self, space_id: int, user_id: int, executor: Executor, chunk_seconds: int):
        self.prefix = track_prefix(space_id, user_id)
        self.executor = executor
        self.chunk_samples = SAMPLE_RATE * chunk_seconds
        self.chunks: list[np.ndarray] = []
        self.buffered = 0
        self.start_sample: int | None = None

    def add(self, samples: np.ndarray, at_sample: int) -> None:
        if self.start_sample is None or at_sample != self.start_sample + self.buffered:
            # Not contiguous with what is buffered (first frame, or after a gap): new chunk.
            self.flush()
            self.start_sample = at_sample
        self.chunks.append(samples)
        self.buffered += len(samples)
        if self.buffered >= self.chunk_samples:
            self.flush()

    def flush(self):
        if not self.buffered:
            return None
        pcm = np.concatenate(self.chunks)
        start_ms = self.start_sample * 1000 // SAMPLE_RATE
        name = f"{self.prefix}{start_ms:010d}.flac"
        future = self.executor.submit(lambda: storage.put(name, encode_flac(pcm)))
        self.start_sample += self.buffered
        self.chunks, self.buffered = [], 0
        return future
