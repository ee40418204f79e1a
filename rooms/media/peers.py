"""One speaker's WebRTC peer connection to the engine: their voice in, their mix-minus out."""

import asyncio
import logging
import re

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.utils import uint16_add

from rooms.media.audio import FRAME_SAMPLES, SAMPLE_RATE, TIME_BASE, to_frame, to_mono
from rooms.media.ice import filter_candidates, rtc_configuration
from rooms.media.memory import release_freed_memory
from rooms.media.mixer import SpeakerFeed

log = logging.getLogger(__name__)

MAX_SDP_BYTES = 16 * 1024


class BadOffer(Exception):
    pass


# A packet this far behind the newest one passed on is a restarted sequence, not a late one.
RESTART_BEHIND = 100


class ArrivalOrderBuffer(JitterBuffer):
    """The engine's receive buffer for a speaker's audio, in place of aiortc's.

    An Opus RTP packet holds one whole frame (RFC 7587), and the mixer's queue
    (MAX_QUEUED_FRAMES) is the jitter buffer the mix plays from, so each packet goes to the
    decoder as soon as it arrives. aiortc's audio buffer (prefetch 4) holds every frame until
    four more have arrived, which adds 80 ms to every voice; and after a single lost packet
    it waits for 16 packets, then stays 14 frames (280 ms) behind for the rest of the call.
    A packet older than one already passed on is dropped: it would be out of order in the mix.
    """

    def __init__(self):
        super().__init__(capacity=16)
        self.newest: int | None = None

    def add(self, packet):
        seq = packet.sequence_number
        if self.newest is not None:
            behind = uint16_add(self.newest, -seq)
            if behind < RESTART_BEHIND:  # a duplicate (0) or late
                return False, None
        self.newest = seq
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)


def _receive_on_arrival(receiver) -> None:
    # aiortc has no setting for this: swap its private buffer before any packet arrives.
    if isinstance(getattr(receiver, "_RTCRtpReceiver__jitter_buffer", None), JitterBuffer):
        receiver._RTCRtpReceiver__jitter_buffer = ArrivalOrderBuffer()
    else:
        log.warning("aiortc's receiver changed: keeping its jitter buffer (80 ms more latency)")


class MixMinusTrack(MediaStreamTrack):
    """What a speaker hears: fed one frame per mixer tick, which also paces the sender."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=5)
        self.pts = 0
        # The engine encodes mono Opus itself and hands aiortc finished packets, which it only
        # packetizes: aiortc would otherwise resample every frame to stereo, encode at 96 kbit/s
        # on a thread hop and compute an audio level in pure Python (most of the engine's CPU).
        self.encoder = av.CodecContext.create("libopus", "w")
        self.encoder.sample_rate = SAMPLE_RATE
        self.encoder.layout = "mono"
        self.encoder.format = "s16"
        self.encoder.bit_rate = 40_000
        self.encoder.time_base = TIME_BASE
        self.encoder.options = {"frame_duration": "20", "application": "voip"}
        self.encoder.open()

    def feed(self, samples) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # a slow sender hears the newest audio, not a backlog
        self.queue.put_nowait(samples)

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        while True:
            samples = await self.queue.get()
            frame = to_frame(samples, self.pts)
            self.pts += FRAME_SAMPLES
            packets = self.encoder.encode(frame)
            if packets:
                packet = packets[0]
                packet.time_base = TIME_BASE
                return packet


OPUS_RTPMAP = re.compile(r"^a=rtpmap:\d+ opus/48000", re.M | re.I)
OPUS = [codec for codec in RTCRtpSender.getCapabilities("audio").codecs if codec.name.lower() == "opus"]


class SpeakerPeer:
    def __init__(self, feed: SpeakerFeed, on_gone):
        self.feed = feed
        self.out = MixMinusTrack()
        self.pc = RTCPeerConnection(rtc_configuration())
        self.reader: asyncio.Task | None = None
        self.on_gone = on_gone
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)
        # The offer's audio is matched to this transceiver, so the answer lists Opus alone.
        self.pc.addTransceiver("audio", direction="sendrecv").setCodecPreferences(OPUS)

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
        if re.search(r"^m=(?!audio )", sdp, re.M):
            raise BadOffer("Audio only: the offer has a section that is not audio (video, data).")
        if not OPUS_RTPMAP.search(sdp):
            # Answered in another codec, the engine's Opus packets would reach the speaker as noise.
            raise BadOffer("The offer has no Opus audio: the engine speaks Opus only.")
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=filter_candidates(sdp), type="offer"))
        except Exception as error:  # aiortc raises ValueError and others on malformed SDP
            raise BadOffer(f"The offer was refused: {error}") from None
        audio = [t for t in self.pc.getTransceivers() if t.kind == "audio"]
        if not audio:
            raise BadOffer("The offer has no audio.")
        for transceiver in audio:
            _receive_on_arrival(transceiver.receiver)
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
        # Off the event loop: trimming walks the heap and the mixing clock must not wait.
        asyncio.get_running_loop().run_in_executor(None, release_freed_memory)
