"""Audio constants and conversions shared by the engine's parts.

Everything inside the engine is 48 kHz mono int16 in 20 ms frames of 960 samples: what
Opus decodes to (after folding stereo) and what the mixer, HLS and track writers take.
"""

import fractions

import av
import numpy as np

SAMPLE_RATE = 48_000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)


def to_mono(frame: av.AudioFrame) -> np.ndarray:
    """An incoming decoded frame as 48 kHz mono int16 (resampled only if it is not)."""
    if frame.sample_rate != SAMPLE_RATE or frame.format.name not in ("s16", "s16p"):
        frame = _resampler().resample(frame)[0] if frame.sample_rate else frame
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        samples = data.astype(np.int32).mean(axis=0)
    else:
        samples = data.reshape(-1, channels).astype(np.int32).mean(axis=1)
    return samples.astype(np.int16)


_resamplers = {}


def _resampler():
    # One per thread of use is enough; the engine decodes on its event loop only.
    if "r" not in _resamplers:
        _resamplers["r"] = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    return _resamplers["r"]


def to_frame(samples: np.ndarray, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


def level(samples: np.ndarray) -> float:
    """RMS level from 0 to 1, for speaking indicators."""
    if not samples.any():
        return 0.0
    return float(min(1.0, np.sqrt(np.mean(samples.astype(np.float32) ** 2)) / 8000))
