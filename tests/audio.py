"""Generated test audio: each voice is a pure tone, so a spectrum tells whose voice is in a file."""

import asyncio
import time

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from rooms.media.audio import to_frame

SAMPLE_RATE = 48_000
FRAME = 960
# Far apart and not harmonics of each other.
TONES = {"host": 500.0, "speaker": 700.0, "cohost": 1100.0, "muted": 1500.0}


def tone(freq: float, seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (np.sin(2 * np.pi * freq * t) * amplitude).astype(np.int16)


def band_energy(samples: np.ndarray, freq: float, width: float = 25.0) -> float:
    """Share of the signal's energy within `width` Hz of `freq` (0..1)."""
    if len(samples) < SAMPLE_RATE // 10:
        return 0.0
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    total = spectrum.sum()
    if total == 0:
        return 0.0
    return float(spectrum[(freqs > freq - width) & (freqs < freq + width)].sum() / total)


def has_tone(samples: np.ndarray, freq: float) -> bool:
    return band_energy(samples, freq) > 0.05


class PacedTrack(MediaStreamTrack):
    """A microphone paced in real time like a real one: each recv() waits for its frame's time."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.sent = 0
        self.started: float | None = None

    async def _pace(self) -> None:
        if self.readyState != "live":
            raise MediaStreamError
        if self.started is None:
            self.started = time.monotonic()
        else:
            wait = self.started + self.sent / SAMPLE_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)


class ToneTrack(PacedTrack):
    """A microphone that says one pure tone."""

    def __init__(self, freq: float):
        super().__init__()
        self.freq = freq

    async def recv(self):
        await self._pace()
        t = (np.arange(FRAME) + self.sent) / SAMPLE_RATE
        frame = to_frame((np.sin(2 * np.pi * self.freq * t) * 8000).astype(np.int16), self.sent)
        self.sent += FRAME
        return frame


class PcmTrack(PacedTrack):
    """A microphone that plays `samples` (48 kHz mono int16) once, then silence: a speaker who
    says something and stops. `finished_at` is when its last sample was sent (monotonic)."""

    def __init__(self, samples: np.ndarray):
        super().__init__()
        self.samples = samples
        self.finished_at: float | None = None

    async def recv(self):
        await self._pace()
        chunk = self.samples[self.sent : self.sent + FRAME]
        if len(chunk) < FRAME:
            if self.finished_at is None:
                self.finished_at = time.monotonic()
            chunk = np.pad(chunk, (0, FRAME - len(chunk)))
        frame = to_frame(chunk.astype(np.int16), self.sent)
        self.sent += FRAME
        return frame


def write_wav(path, samples: np.ndarray) -> None:
    """A 48 kHz mono 16-bit WAV file, e.g. for Chromium's fake microphone."""
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.astype("<i2").tobytes())


def band_peak(samples: np.ndarray, freq: float, window: float = 0.5) -> float:
    """The largest share of energy near `freq` in any `window` seconds (0..1): a voice heard
    for a few seconds of a long file stands out here, where the whole file's spectrum would
    average it away (and its window would fade the file's ends)."""
    step = int(window * SAMPLE_RATE)
    shares = [band_energy(samples[at : at + step], freq) for at in range(0, len(samples) - step + 1, step)]
    return max(shares, default=0.0)
