"""One speaker's WebRTC peer connection to the engine: their voice in, their mix-minus out."""

import asyncio
import logging

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from rooms.media.audio import FRAME_SAMPLES, to_frame, to_mono
from rooms.media.ice import filter_candidates, rtc_configuration
from rooms.media.mixer import SpeakerFeed

log = logging.getLogger(__name__)

MAX_SDP_BYTES = 16 * 1024


class BadOffer(Exception):
    pass


class MixMinusTrack(MediaStreamTrack):
    """What a speaker hears: fed one frame per mixer tick, which also paces the sender."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=5)
        self.pts = 0

    def feed(self, samples) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # a slow sender hears the newest audio, not a backlog
        self.queue.put_nowait(samples)

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        samples = await self.queue.get()
        frame = to_frame(samples, self.pts)
        self.pts += FRAME_SAMPLES
        return frame


class SpeakerPeer:
    def __init__(self, feed: SpeakerFeed, on_gone):
        self.feed = feed
        self.out = MixMinusTrack()
        self.pc = RTCPeerConnection(rtc_configuration())
        self.reader: asyncio.Task | None = None
        self.on_gone = on_gone
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    def _on_track(self, track):
        if track.kind == "audio" and self.reader is None:
            self.reader = asyncio.ensure_future(self._read(track))

    async def _on_state(self):
        if self.pc.connectionState in ("failed", "closed"):
            self.on_gone(self)

    async def _read(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.feed.push(to_mono(frame))

    async def answer(self, sdp: str) -> str:
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP_BYTES:
            raise BadOffer("The offer is not an SDP session description.")
        if "a=fingerprint:" not in sdp:
            # Without a DTLS fingerprint aiortc answers, then fails later with nobody told.
            raise BadOffer("The offer has no DTLS fingerprint.")
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=filter_candidates(sdp), type="offer"))
        except Exception as error:  # aiortc raises ValueError and others on malformed SDP
            raise BadOffer(f"The offer was refused: {error}") from None
        audio = [t for t in self.pc.getTransceivers() if t.kind == "audio"]
        if not audio:
            raise BadOffer("The offer has no audio.")
        self.pc.addTrack(self.out)
        try:
            answer = await self.pc.createAnswer()
            await self.pc.setLocalDescription(answer)  # aiortc gathers all candidates here
        except Exception as error:  # offers aiortc takes but cannot answer, e.g. one mid on two m-lines
            raise BadOffer(f"The offer could not be answered: {error}") from None
        return self.pc.localDescription.sdp

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        self.out.stop()
        await self.pc.close()
