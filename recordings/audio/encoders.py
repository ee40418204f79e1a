"""The finished files: M4A (AAC, PyAV) and MP3 (LAME via lameenc), both with exact duration,
plus waveform peaks for the player. Each takes blocks of float samples at full scale 1.0."""

import struct

import av
import lameenc
import numpy as np

from rooms.media.audio import SAMPLE_RATE, TIME_BASE

# LAME's own delay before the first input sample; decoders add 529 of their own (the
# Info tag below tells them both, so they trim to the exact input length).
LAME_ENCODER_DELAY = 576
DECODER_DELAY = 529
MP3_FRAME_SAMPLES = 1152


class M4AWriter:
    def __init__(self, path: str, bit_rate: int):
        self.container = av.open(path, "w", format="ipod", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        self.stream.bit_rate = bit_rate
        self.stream.time_base = TIME_BASE
        # The "fast" coder: twice the speed of the default two-loop search, no audible
        # difference on speech at 64 kbit/s.
        self.stream.codec_context.options = {"aac_coder": "fast"}
        self.pts = 0

    def write(self, samples: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(samples.astype(np.float32).reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.pts
        frame.time_base = TIME_BASE
        self.pts += len(samples)
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()


class MP3Writer:
    """CBR MP3 with a LAME 'Info' tag carrying the encoder delay and padding."""

    def __init__(self, path: str, kbps: int, quality: int):
        self.file = open(path, "wb")
        self.kbps = kbps
        self.frame_bytes = 144 * kbps * 1000 // SAMPLE_RATE
        self.encoder = lameenc.Encoder()
        self.encoder.set_bit_rate(kbps)
        self.encoder.set_in_sample_rate(SAMPLE_RATE)
        self.encoder.set_channels(1)
        self.encoder.set_quality(quality)
        self.samples = 0
        self.audio_bytes = 0
        self.header = b""
        self.file.write(b"\0" * self.frame_bytes)  # the Info frame, written on close

    def write(self, samples: np.ndarray) -> None:
        pcm = np.clip(samples * 32768, -32768, 32767).astype(np.int16)
        self.samples += len(pcm)
        self._out(self.encoder.encode(pcm.tobytes()))

    def _out(self, data: bytes) -> None:
        if data and not self.header:
            self.header = bytes(data[:4])
        self.file.write(data)
        self.audio_bytes += len(data)

    def close(self) -> None:
        self._out(self.encoder.flush())
        frames = self.audio_bytes // self.frame_bytes
        padding = frames * MP3_FRAME_SAMPLES - LAME_ENCODER_DELAY - self.samples
        self.file.seek(0)
        self.file.write(self._info_frame(frames, padding))
        self.file.close()

    def _info_frame(self, frames: int, padding: int) -> bytes:
        side_info = 17  # MPEG-1 mono
        tag = bytearray(self.frame_bytes)
        tag[:4] = self.header or bytes([0xFF, 0xFB, 0x54, 0xC4])
        at = 4 + side_info
        total_bytes = self.audio_bytes + self.frame_bytes
        toc = bytes(i * 256 // 100 for i in range(100))
        body = b"Info" + struct.pack(">III", 0x0F, frames, total_bytes) + toc + struct.pack(">I", 0)
        lame = bytearray(36)
        lame[0:9] = b"LAME3.100"
        lame[9] = 0x01  # tag revision 0, CBR
        lame[20] = min(self.kbps, 255)
        delay_padding = (LAME_ENCODER_DELAY << 12) | max(0, min(padding, 4095))
        lame[21:24] = delay_padding.to_bytes(3, "big")
        struct.pack_into(">I", lame, 28, total_bytes)
        tag[at : at + len(body)] = body
        start = at + len(body)
        tag[start : start + 34] = lame[:34]
        struct.pack_into(">H", tag, start + 34, crc16(bytes(tag[:190])))
        return bytes(tag)


def crc16(data: bytes) -> int:
    """CRC-16 (polynomial 0x8005, reflected), as LAME computes its tag's checksum."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


class Peaks:
    """Max |sample| per bucket, for drawing a waveform: 10 per second, at most `limit`."""

    def __init__(self, total_samples: int, limit: int = 3000):
        count = max(1, min(limit, total_samples * 10 // SAMPLE_RATE))
        self.bucket = max(1, -(-total_samples // count))
        self.values: list[float] = []
        self.carry = np.zeros(0, dtype=np.float32)

    def add(self, samples: np.ndarray) -> None:
        data = np.concatenate([self.carry, np.abs(samples)]) if len(self.carry) else np.abs(samples)
        whole = len(data) // self.bucket * self.bucket
        if whole:
            self.values.extend(data[:whole].reshape(-1, self.bucket).max(axis=1).tolist())
        self.carry = data[whole:]

    def finish(self) -> list[float]:
        if len(self.carry):
            self.values.append(float(self.carry.max()))
            self.carry = np.zeros(0, dtype=np.float32)
        return [round(min(v, 1.0), 3) for v in self.values]
