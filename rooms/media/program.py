"""The program: the full mix, encoded once to AAC, cut into MPEG-TS segments of
MEDIA_SEGMENT_SECONDS on the space's clock, with a live HLS playlist beside them.

Segments are numbered by their position on the space's clock (sample // segment length),
so an engine that restarts, or another engine that takes the space over, continues the same
numbering and timestamps; at most the segment being written is lost."""

from collections import deque
from concurrent.futures import Executor
from datetime import datetime, timedelta

import numpy as np

from rooms.media import storage
from rooms.media.audio import SAMPLE_RATE
from rooms.media.encode import ContinuousEncoder, mux

LIVE_WINDOW = 8


def program_prefix(space_id: int) -> str:
    return f"{storage.space_prefix(space_id)}program/"


def playlist_name(space_id: int) -> str:
    return program_prefix(space_id) + "live.m3u8"


class ProgramWriter:
    def __init__(self, space_id: int, origin: datetime, first_sample: int, executor: Executor, segment_seconds: int):
        self.space_id = space_id
        self.origin = origin
        self.executor = executor
        self.segment_samples = SAMPLE_RATE * segment_seconds
        self.segment_seconds = segment_seconds
        self.chunks: list[np.ndarray] = []
        self.buffered = 0
        self.start_sample = first_sample
        self.window: deque = deque(maxlen=LIVE_WINDOW)
        self.encoder: ContinuousEncoder | None = None
        self.pending = None
        self.last: tuple[int, list] | None = None  # the last segment written, for finish()

    def add(self, samples: np.ndarray) -> None:
        """Called on every mixer tick, on the event loop: only appends."""
        self.chunks.append(samples)
        self.buffered += len(samples)
        boundary = (self.start_sample // self.segment_samples + 1) * self.segment_samples
        if self.start_sample + self.buffered >= boundary:
            self._cut(boundary)

    def _cut(self, boundary: int, final: bool = False) -> None:
        pcm = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int16)
        take = min(len(pcm), boundary - self.start_sample)
        segment, rest = pcm[:take], pcm[take:]
        start = self.start_sample
        self.pending = self.executor.submit(self._write, start, segment, final)
        self.start_sample = start + take
        self.chunks = [rest] if len(rest) else []
        self.buffered = len(rest)

    def finish(self):
        """End of the space: write what is left and close the playlist."""
        if self.buffered:
            self._cut(self.start_sample + self.buffered, final=True)
        else:
            self.pending = self.executor.submit(self._write, self.start_sample, np.zeros(0, dtype=np.int16), True)
        return self.pending

    # --- in the writer thread -------------------------------------------------------
    def _write(self, start: int, pcm: np.ndarray, final: bool) -> None:
        if self.encoder is None:
            self.encoder = ContinuousEncoder("aac", bit_rate=64_000)
        packets = self.encoder.encode(pcm, start) if len(pcm) else []
        if final:
            packets += self.encoder.flush()
        if packets and not len(pcm) and self.last is not None:
            # The space ended on a segment boundary: the encoder's tail goes into the last
            # segment, not into a zero-length one (which would not even decode on its own).
            seq, last_packets = self.last
            name = f"{program_prefix(self.space_id)}seg_{seq:06d}.ts"
            storage.put(name, mux(last_packets + packets, "mpegts", "aac"))
        elif packets:
            seq = start // self.segment_samples
            name = f"{program_prefix(self.space_id)}seg_{seq:06d}.ts"
            storage.put(name, mux(packets, "mpegts", "aac"))
            self.window.append((seq, len(pcm) / SAMPLE_RATE, start))
            self.last = (seq, packets)
        storage.put(playlist_name(self.space_id), self._playlist(final).encode())

    def _playlist(self, final: bool) -> str:
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{self.segment_seconds + 1}",
            f"#EXT-X-MEDIA-SEQUENCE:{self.window[0][0] if self.window else 0}",
        ]
        previous = None
        for seq, duration, start in self.window:
            if previous is not None and seq != previous + 1:
                lines.append("#EXT-X-DISCONTINUITY")
            wall = self.origin + timedelta(seconds=start / SAMPLE_RATE)
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{wall.isoformat(timespec='milliseconds')}")
            lines.append(f"#EXTINF:{duration:.3f},")
            lines.append(f"seg_{seq:06d}.ts")
            previous = seq
        if final:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"
