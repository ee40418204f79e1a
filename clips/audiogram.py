"""A clip's audiogram: a 720×720 MP4 (H.264 video of the card, the clip's AAC audio) for places
that only take video.

Its sound is the clip's own rendered M4A, copied packet for packet into the MP4: that file holds
only the voices that said yes, so the audiogram does too by construction (nothing here reads a
track), and the sound is the shared clip's exactly, with no second lossy encode. The same
packets are decoded once to draw the waveform. The video is the card (clips/audiogram_card.py)
at FPS frames a second through libx264, preset veryfast tuned for still images: the card hardly
changes from frame to frame, which x264 encodes as cheap skipped blocks."""

import io
import math
from collections.abc import Callable

import av
import numpy as np

from clips.audiogram_card import SIZE, Card, Painter

FPS = 15
PRESET = "veryfast"
TUNE = "stillimage"
CRF = "23"
PROGRESS_EVERY = FPS  # frames between progress reports (a second of the clip)


def read_audio(m4a: bytes):
    """The M4A's packets (to copy), its samples (mono float, to draw) and its length in seconds."""
    with av.open(io.BytesIO(m4a)) as container:
        stream = container.streams.audio[0]
        packets, chunks = [], []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            packets.append(packet)
            chunks.extend(frame.to_ndarray()[0] for frame in packet.decode())
        duration = float(container.duration / av.time_base) if container.duration else 0.0
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return packets, samples, duration


def make(m4a: bytes, out_path: str, card: Card, progress: Callable[[float], None] | None = None) -> float:
    """Write the audiogram of the clip whose M4A is `m4a` to `out_path`; its length in seconds.
    `progress(fraction)` is called once a second of the clip is encoded (it may raise to stop)."""
    packets, samples, duration = read_audio(m4a)
    painter = Painter(card, samples, duration)
    frames = max(1, math.ceil(duration * FPS - 1e-6))
    with (
        av.open(io.BytesIO(m4a)) as source,
        av.open(out_path, "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        audio = out.add_stream_from_template(source.streams.audio[0])
        video = out.add_stream("libx264", rate=FPS, options={"preset": PRESET, "tune": TUNE, "crf": CRF})
        video.width = video.height = SIZE
        video.pix_fmt = "yuv420p"
        context = video.codec_context
        context.color_range, context.colorspace = 1, 1  # limited range, BT.709 (as the card is drawn)
        context.color_primaries = context.color_trc = 1
        pending = iter(packets)
        packet = next(pending, None)
        for index in range(frames):
            t = index / FPS
            # Keep the two streams near each other in the file, audio up to this frame's time.
            while packet is not None and packet.pts is not None and float(packet.pts * packet.time_base) <= t:
                packet.stream = audio
                out.mux(packet)
                packet = next(pending, None)
            frame = av.VideoFrame.from_ndarray(painter.frame(t), format="yuv420p")
            frame.pts = index
            out.mux(video.encode(frame))
            if progress and (index + 1) % PROGRESS_EVERY == 0:
                progress((index + 1) / frames)
        out.mux(video.encode(None))
        while packet is not None:
            packet.stream = audio
            out.mux(packet)
            packet = next(pending, None)
    return duration
