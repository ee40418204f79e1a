"""Mixing on a steady clock: each tick takes one frame per speaker (silence if none arrived
or if muted), and gives the program (everyone) and each speaker's mix-minus (everyone but
them). Pure numpy: no I/O, so it can be tested and measured on its own."""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from rooms.media.audio import FRAME_SAMPLES, SILENCE

# Frames a speaker may have waiting before old ones are dropped: bounds the added latency
# (3 x 20 ms) when a speaker's packets arrive in bursts.
MAX_QUEUED_FRAMES = 3


@dataclass
class SpeakerFeed:
    user_id: int
    muted: bool = True
    frames: deque = field(default_factory=lambda: deque(maxlen=MAX_QUEUED_FRAMES))
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))

    def push(self, samples: np.ndarray) -> None:
        """Queue decoded audio, cut into 20 ms frames whatever size the sender's packets had."""
        if len(samples) == FRAME_SAMPLES and not len(self.pending):
            self.frames.append(samples)
            return
        self.pending = np.concatenate([self.pending, samples])
        while len(self.pending) >= FRAME_SAMPLES:
            self.frames.append(self.pending[:FRAME_SAMPLES])
            self.pending = self.pending[FRAME_SAMPLES:]

    def take(self) -> np.ndarray:
        frame = self.frames.popleft() if self.frames else SILENCE
        # The engine enforces mute: a muted speaker's audio never reaches anyone.
        return SILENCE if self.muted else frame


@dataclass
class Tick:
    program: np.ndarray
    own: dict  # user_id -> what that speaker contributed (their track)
    mix_minus: dict  # user_id -> everyone but them


class Mixer:
    def __init__(self):
        self.feeds: dict[int, SpeakerFeed] = {}

    def add(self, user_id: int, muted: bool = True) -> SpeakerFeed:
        feed = self.feeds.get(user_id)
        if feed is None:
            feed = self.feeds[user_id] = SpeakerFeed(user_id, muted)
        feed.muted = muted
        return feed

    def remove(self, user_id: int) -> None:
        self.feeds.pop(user_id, None)

    def tick(self) -> Tick:
        own = {uid: feed.take() for uid, feed in self.feeds.items()}
        if not own:
            return Tick(SILENCE, {}, {})
        stacked = np.stack([frame.astype(np.int32) for frame in own.values()])
        total = stacked.sum(axis=0)
        program = _clip(total)
        mix_minus = {uid: _clip(total - row) for uid, row in zip(own, stacked, strict=True)}
        return Tick(program, own, mix_minus)


def _clip(samples: np.ndarray) -> np.ndarray:
    return np.clip(samples, -32768, 32767).astype(np.int16)
