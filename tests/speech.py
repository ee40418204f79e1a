"""Generated speech for transcript and caption tests: espeak-ng reads a sentence, and the
result is the engine's format (48 kHz mono int16), ready to be a speaker's track or microphone.

Each speaker can be given its own espeak voice; who said what is still known from whose track
it is on, as in the product."""

import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

SAMPLE_RATE = 48_000
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp")


def espeak_ready() -> bool:
    return shutil.which("espeak-ng") is not None


needs_espeak = pytest.mark.skipif(not espeak_ready(), reason="espeak-ng is installed by scripts/test")


@lru_cache(maxsize=256)
def _said(text: str, voice: str, speed: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "said.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True, capture_output=True
        )
        import wave

        with wave.open(str(wav)) as f:
            rate = f.getframerate()
            pcm = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16)
    # espeak writes 22050 Hz: 48000/22050 = 320/147.
    up = resample_poly(pcm.astype(np.float32), SAMPLE_RATE // 150, rate // 150)
    return np.clip(up, -32768, 32767).astype(np.int16).tobytes()


def say(text: str, voice: str = "en-us", speed: int = 160) -> np.ndarray:
    """`text` read aloud, 48 kHz mono int16."""
    return np.frombuffer(_said(text, voice, speed), dtype=np.int16).copy()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)


def speech_track(parts: list[tuple[float, str]], seconds: float, voice: str = "en-us") -> np.ndarray:
    """One speaker's track of `seconds`: each (at seconds, sentence) read from that time on."""
    track = silence(seconds)
    for at, text in parts:
        said = say(text, voice)
        start = int(at * SAMPLE_RATE)
        end = min(len(track), start + len(said))
        track[start:end] = said[: end - start]
    return track
