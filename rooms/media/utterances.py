"""Cutting one voice into utterances: the stretches where it was voiced, with a little
silence either side, each closed after a pause. The engine runs it live on every speaker's
20 ms frames (live captions get one utterance at a time); the replay transcript runs the same
cutter over the stored tracks, so both read the same stretches of speech.

Voiced means a 20 ms frame's RMS above VOICED_RMS (about -45 dBFS): quiet enough for a soft
voice, above the noise a muted or idle microphone sends. A stretch of fewer than
SHORTEST_VOICED_MS of voiced frames (a click, a cough) is dropped."""

from dataclasses import dataclass

import numpy as np

from rooms.media.audio import SAMPLE_RATE

FRAME = SAMPLE_RATE // 50  # 20 ms
VOICED_RMS = 180.0
PAUSE_MS = 600  # this much unvoiced audio ends an utterance
PAD_MS = 200  # kept before the first and after the last voiced frame
SHORTEST_VOICED_MS = 100
# Whisper reads 30 s windows; a long monologue is cut (at its quietest recent frame) well before.
LONGEST_MS = 20_000


@dataclass
class Utterance:
    start: int  # first sample on the space's clock
    samples: np.ndarray  # 48 kHz mono int16

    @property
    def start_ms(self) -> int:
        return self.start * 1000 // SAMPLE_RATE

    @property
    def end_ms(self) -> int:
        return (self.start + len(self.samples)) * 1000 // SAMPLE_RATE


def frame_rms(frames: np.ndarray) -> np.ndarray:
    """RMS of each row of a (n, FRAME) int16 array."""
    return np.sqrt(np.mean(frames.astype(np.float32) ** 2, axis=1))


class UtteranceCutter:
    """Fed one voice's audio in order (`add(samples, at_sample)`), hands back the utterances
    that closed. A gap in the clock (the speaker left the stage) closes the open one."""

    def __init__(self, longest_ms: int = LONGEST_MS):
        self.pad = PAD_MS * SAMPLE_RATE // 1000 // FRAME
        self.pause = PAUSE_MS * SAMPLE_RATE // 1000 // FRAME
        self.shortest = SHORTEST_VOICED_MS * SAMPLE_RATE // 1000 // FRAME
        self.longest = longest_ms * SAMPLE_RATE // 1000 // FRAME
        self.frames: list[np.ndarray] = []  # the open utterance (or the pre-roll before one)
        self.first = 0  # its first sample
        self.voiced = 0  # voiced frames in it
        self.quiet = 0  # unvoiced frames since its last voiced one
        self.next_at: int | None = None  # where the audio fed so far ends

    def add(self, samples: np.ndarray, at: int) -> list[Utterance]:
        out: list[Utterance] = []
        if self.next_at is not None and at != self.next_at:
            out += self.flush()
        if not self.frames:
            self.first = at
        self.next_at = at + len(samples)
        whole = len(samples) // FRAME * FRAME
        rows = samples[:whole].reshape(-1, FRAME)
        for row, rms in zip(rows, frame_rms(rows), strict=True):
            out += self._frame(row, rms > VOICED_RMS)
        if whole < len(samples):  # a ragged tail (never from the engine): counted as unvoiced
            out += self._frame(np.pad(samples[whole:], (0, FRAME - (len(samples) - whole))), False)
        return out

    def _frame(self, row: np.ndarray, voiced: bool) -> list[Utterance]:
        self.frames.append(row)
        if voiced:
            self.voiced += 1
            self.quiet = 0
        elif self.voiced:
            self.quiet += 1
        else:
            # No speech yet: keep only the pre-roll.
            if len(self.frames) > self.pad:
                self.frames.pop(0)
                self.first += FRAME
            return []
        if self.quiet >= self.pause:
            return self._close(keep_tail=self.pad)
        if len(self.frames) >= self.longest:
            return self._close(keep_tail=len(self.frames))
        return []

    def _close(self, keep_tail: int) -> list[Utterance]:
        """Hand back the open utterance, ending PAD_MS after its last voiced frame."""
        end = len(self.frames) - self.quiet + min(self.quiet, keep_tail)
        done = self.frames[:end]
        voiced = self.voiced
        start = self.first
        self.frames, self.first = [], start + len(self.frames) * FRAME
        self.voiced = self.quiet = 0
        if voiced < self.shortest:
            return []
        return [Utterance(start, np.concatenate(done))]

    def flush(self) -> list[Utterance]:
        """Close whatever is open (the speaker left the stage, the space ended)."""
        if not self.voiced:
            self.frames, self.voiced, self.quiet = [], 0, 0
            return []
        return self._close(keep_tail=self.pad)
