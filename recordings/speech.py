"""The recogniser: speech in, timed words out.

One interface, `transcribe(audio, language)`, for the replay jobs and the live captioner alike,
so neither knows which model runs. Behind it is faster-whisper (Whisper on CTranslate2) with
the model settings.TRANSCRIBE names: by default Whisper tiny.en, int8 on one CPU thread,
from files installed with the project (nothing is downloaded, ever).

Audio is 16 kHz mono float32 in [-1, 1]; `from_pcm48` turns the engine's 48 kHz int16 into it.
"""

import os
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from scipy.signal import resample_poly

# The model is a local directory; this keeps huggingface_hub (a faster-whisper dependency)
# from ever trying the network should anything ask it for a name instead of a path.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Word:
    start: float  # seconds from the start of the audio given
    end: float
    text: str


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = field(default_factory=tuple)


def from_pcm48(samples: np.ndarray) -> np.ndarray:
    """48 kHz int16 (the engine's and the tracks' format) -> 16 kHz float32."""
    audio = samples.astype(np.float32) / 32768.0
    return resample_poly(audio, 1, 3).astype(np.float32)


_model = None
_model_lock = threading.Lock()
# CTranslate2 runs one transcription at a time per model here: two threads would only share
# the configured cores, and the live captioner must not starve behind a long replay job.
_run_lock = threading.Lock()


def model():
    """The loaded model, one per process (loading takes about half a second)."""
    global _model
    with _model_lock:
        if _model is None:
            from faster_whisper import WhisperModel

            config = settings.TRANSCRIBE
            _model = WhisperModel(
                config["MODEL_DIR"],
                device=config["DEVICE"],
                compute_type=config["COMPUTE_TYPE"],
                cpu_threads=config["THREADS"],
                num_workers=1,
                local_files_only=True,
            )
        return _model


# Below this a stretch holds no speech Whisper can read (it tends to invent words instead).
SHORTEST_SECONDS = 0.3
# A beam of 5 (faster-whisper's own default). tests/bench/transcribe_accuracy.py measures it beside
# greedy decoding (1, the default until 2026-12-07): on its espeak speech 0.84x the word errors
# for about 3 % more time, well within the real-time-factor target on one core.
BEAM_SIZE = 5


def transcribe(audio: np.ndarray, language: str | None = None, *, beam_size: int = BEAM_SIZE) -> list[Segment]:
    """Timed segments with their words, in seconds from the start of `audio`. Silence or
    audio too short to hold a word gives an empty list, not an error. `beam_size` is for the
    benchmark's baseline (greedy, 1); the site always decodes with BEAM_SIZE."""
    if len(audio) < SHORTEST_SECONDS * SAMPLE_RATE or not np.any(np.abs(audio) > 1e-3):
        return []
    with _run_lock:
        segments, _info = model().transcribe(
            audio,
            language=language or settings.TRANSCRIBE["LANGUAGE"],
            beam_size=beam_size,
            word_timestamps=True,
            # Each call is one voice's utterance or stretch: the previous text is no help and
            # is how Whisper starts repeating itself on silence.
            condition_on_previous_text=False,
            vad_filter=False,
        )
        out = []
        for segment in segments:
            # Whisper's own judgement that a stretch held no speech: what it wrote is made up.
            if segment.no_speech_prob > 0.6 and segment.avg_logprob < -1.0:
                continue
            words = tuple(
                Word(float(w.start), float(w.end), w.word.strip()) for w in segment.words or [] if w.word.strip()
            )
            text = segment.text.strip()
            if text and words:
                out.append(Segment(float(segment.start), float(segment.end), text, words))
        return out
