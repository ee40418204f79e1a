"""One live space inside an engine: its speakers' peers, the 20 ms mixing clock, the program
writer and the track writers."""

import asyncio
import logging
from concurrent.futures import Executor
from datetime import datetime

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from rooms.events import layer_message, space_group
from rooms.media import storage
from rooms.media.audio import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE, level
from rooms.media.captions import CaptionFeed
from rooms.media.mixer import Mixer, SpeakerFeed
from rooms.media.peers import BadOffer, SpeakerPeer
from rooms.media.program import ProgramWriter
from rooms.media.tracks import TrackWriter, closed_marker

log = logging.getLogger(__name__)

LEVEL_EVERY_TICKS = 10  # speaking indicators five times a second
LATE_LOG_EVERY_SECONDS = 5.0  # at most one "clock behind" warning per session this often


def clock_sample(origin: datetime, now: datetime | None = None) -> int:
    """Where `now` falls on the space's clock (samples since it started), on a frame boundary."""
    elapsed = ((now or timezone.now()) - origin).total_seconds()
    return max(0, round(elapsed * SAMPLE_RATE / FRAME_SAMPLES)) * FRAME_SAMPLES


class SpaceSession:
    def __init__(self, space_id: int, origin: datetime, executor: Executor, captions: bool = False):
        self.space_id = space_id
        self.executor = executor
        self.mixer = Mixer()
        self.peers: dict[int, SpeakerPeer] = {}
        self.tracks: dict[int, TrackWriter] = {}
        self.sample = clock_sample(origin)
        # A marker left by an engine that had the space before (stopped mid-space) would let a
        # render start before this session stores the end of the tracks: it goes first.
        executor.submit(default_storage.delete, closed_marker(space_id))
        config = settings.MEDIA_ENGINE
        self.program = ProgramWriter(space_id, origin, self.sample, executor, config["SEGMENT_SECONDS"])
        self.chunk_seconds = config["TRACK_CHUNK_SECONDS"]
        self.peaks: dict[int, float] = {}
        # Live captions: the same audio as each speaker's track, cut into utterances.
        self.captions = CaptionFeed(space_id) if captions else None
        self.ticks = 0
        # Ticks that ran a whole frame or more after their time (the clock had to catch up),
        # and the worst lateness in seconds: an overloaded engine shows here first.
        self.late_ticks = 0
        self.max_late = 0.0
        self.clock = asyncio.ensure_future(self._run())

    # --- speakers ---------------------------------------------------------------------
    async def connect(self, user_id: int, sdp: str, muted: bool) -> str:
        """Answer a speaker's offer. A new offer from the same speaker (a reconnect or an
        ICE restart from the page) replaces their old connection."""
        # A new speaker joins the mix (and gets a track) only once their offer is answered.
        feed = self.mixer.feeds.get(user_id) or SpeakerFeed(user_id)
        feed.muted = muted
        peer = SpeakerPeer(feed, on_gone=lambda gone: self._gone(user_id, gone))
        try:
            answer = await peer.answer(sdp)
        except BadOffer:
            await peer.close()
            raise
        self.mixer.feeds[user_id] = feed
        old = self.peers.pop(user_id, None)
        self.peers[user_id] = peer
        if old is not None:
            await old.close()
        return answer

    def set_muted(self, user_id: int, muted: bool) -> None:
        feed = self.mixer.feeds.get(user_id)
        if feed is not None:
            feed.muted = muted

    async def drop(self, user_id: int) -> None:
        peer = self.peers.pop(user_id, None)
        self.mixer.remove(user_id)
        writer = self.tracks.pop(user_id, None)
        if writer:
            writer.flush()
        if self.captions is not None:
            self.captions.flush(user_id)
        if peer:
            await peer.close()

    def _gone(self, user_id: int, peer: SpeakerPeer) -> None:
        # Only the current connection's failure takes the speaker out of the mix; the page
        # sends a new offer to come back.
        if self.peers.get(user_id) is peer:
            asyncio.ensure_future(self.drop(user_id))

    # --- the clock --------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        period = FRAME_MS / 1000
        start = loop.time()
        n = 0
        logged_late, logged_at = 0, start - LATE_LOG_EVERY_SECONDS
        while True:
            now = loop.time()
            # Catch up after a stall rather than drift: the program stays on the clock.
            while start + n * period <= now:
                late = now - (start + n * period)
                self.max_late = max(self.max_late, late)
                if late >= period:
                    self.late_ticks += 1
                self._tick()
                n += 1
            if self.late_ticks > logged_late and now - logged_at >= LATE_LOG_EVERY_SECONDS:
                log.warning(
                    "space %s: mixing clock behind: %d of %d ticks late (max %.0f ms)",
                    self.space_id,
                    self.late_ticks,
                    self.ticks,
                    self.max_late * 1000,
                )
                logged_late, logged_at = self.late_ticks, now
            await asyncio.sleep(max(0.0, start + n * period - loop.time()))

    def _tick(self) -> None:
        tick = self.mixer.tick()
        for user_id, peer in self.peers.items():
            minus = tick.mix_minus.get(user_id)
            if minus is not None:
                peer.out.feed(minus)
        self.program.add(tick.program)
        for user_id, samples in tick.own.items():
            writer = self.tracks.get(user_id)
            if writer is None:
                writer = self.tracks[user_id] = TrackWriter(self.space_id, user_id, self.executor, self.chunk_seconds)
            writer.add(samples, self.sample)
            if self.captions is not None:
                self.captions.add(user_id, samples, self.sample)
            self.peaks[user_id] = max(self.peaks.get(user_id, 0.0), level(samples))
        self.sample += FRAME_SAMPLES
        self.ticks += 1
        if self.ticks % LEVEL_EVERY_TICKS == 0 and self.peaks:
            self._send_levels()

    def _send_levels(self) -> None:
        levels = {str(uid): round(peak, 2) for uid, peak in self.peaks.items()}
        self.peaks = {}
        message = layer_message(self.space_id, {"type": "levels", "levels": levels})
        asyncio.ensure_future(get_channel_layer().group_send(space_group(self.space_id), message))

    async def close(self):
        self.clock.cancel()
        log.info(
            "space %s closed: %d ticks, %d late (max %.0f ms)",
            self.space_id,
            self.ticks,
            self.late_ticks,
            self.max_late * 1000,
        )
        for user_id in list(self.peers):
            await self.drop(user_id)
        for writer in self.tracks.values():
            writer.flush()
        if self.captions is not None:
            await self.captions.close()
        self.program.finish()
        # The writer thread runs in order: once this is stored, every file of the space is.
        return self.executor.submit(storage.put, closed_marker(self.space_id), b"closed\n")
