"""aiortc test speakers: each joins through the room socket, sends a tone and records what
the engine sends back (their mix-minus)."""

import asyncio

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from rooms.media.audio import to_mono
from tests.audio import ToneTrack


class ToneSpeaker:
    def __init__(self, socket, freq: float, track=None):
        """`track`: what the microphone sends instead of the tone (e.g. a PcmTrack of speech)."""
        self.socket = socket
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = track or ToneTrack(freq)
        self.pc.addTrack(self.track)
        self.heard: list[np.ndarray] = []
        self.reader = None
        self.pc.on("track", self._on_track)

    def _on_track(self, track):
        self.reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track):
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.heard.append(to_mono(frame))

    async def join(self, timeout: float = 10) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.socket.send("media.offer", sdp=self.pc.localDescription.sdp)
        answer = await self.socket.wait_type("media.answer", timeout)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    def heard_audio(self, skip_seconds: float = 0.5) -> np.ndarray:
        audio = np.concatenate(self.heard) if self.heard else np.zeros(0, dtype=np.int16)
        return audio[int(skip_seconds * 48000) :]

    async def close(self):
        if self.reader:
            self.reader.cancel()
        await self.pc.close()
