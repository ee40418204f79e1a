"""Encoding PCM to files with PyAV. Runs in the engine's writer thread, never on its event loop."""

import io

import av
import numpy as np

from rooms.media.audio import SAMPLE_RATE, TIME_BASE


class ContinuousEncoder:
    """One encoder for a whole stream, so that timestamps and the codec's state run on across
    the segment files cut from it (AAC carries samples over between packets)."""

    def __init__(self, codec: str, bit_rate: int | None = None):
        self.codec = av.CodecContext.create(codec, "w")
        self.codec.sample_rate = SAMPLE_RATE
        self.codec.layout = "mono"
        self.codec.format = self.codec.codec.audio_formats[0].name
        self.codec.time_base = TIME_BASE
        if bit_rate:
            self.codec.bit_rate = bit_rate
        self.codec.open()
        size = self.codec.frame_size or 960
        self.frame_size = size

    def encode(self, pcm: np.ndarray, first_sample: int) -> list[av.Packet]:
        packets = []
        as_float = self.codec.format.name.startswith("flt")
        data = pcm.astype(np.float32) / 32768 if as_float else pcm
        for offset in range(0, len(data), self.frame_size):
            chunk = data[offset : offset + self.frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format=self.codec.format.name, layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = first_sample + offset
            frame.time_base = TIME_BASE
            packets.extend(self.codec.encode(frame))
        return packets

    def flush(self) -> list[av.Packet]:
        return list(self.codec.encode(None))


def mux(packets: list[av.Packet], container_format: str, codec: str) -> bytes:
    """Write packets from a ContinuousEncoder into one file of the given container."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=SAMPLE_RATE, layout="mono")
        stream.time_base = TIME_BASE
        for packet in packets:
            packet.stream = stream
            out.mux(packet)
    return buf.getvalue()


def encode_flac(pcm: np.ndarray) -> bytes:
    """A self-contained FLAC file (tracks are cut into chunks that each stand alone)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="flac") as out:
        stream = out.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        stream.format = "s16"
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = 0
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def decode_file(data: bytes) -> np.ndarray:
    """Any audio file as 48 kHz mono int16 (used by tests and by later cutting)."""
    with av.open(io.BytesIO(data)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        chunks = []
        for frame in container.decode(audio=0):
            if frame.format.name == "s16" and frame.layout.nb_channels == 1 and frame.sample_rate == SAMPLE_RATE:
                chunks.append(frame.to_ndarray().reshape(-1))  # our own tracks: no conversion
                continue
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
