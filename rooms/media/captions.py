"""The engine's part of live captions: each speaker's audio, cut into utterances, handed to
the captioner (recordings/captioner.py) over the channel layer.

Recognition never runs here: the 20 ms mixing clock only runs the cutter on the frame it
already has (an RMS per frame), and a closed utterance leaves as one message, sent by a task
so the tick never waits on the layer.

The utterances go to one named channel, not a group: every captioner process reads from it
and each utterance is taken by exactly one of them, so more captioners share the work
instead of each captioning everything twice."""

import asyncio
import logging
import time

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from rooms.media.utterances import Utterance, UtteranceCutter

log = logging.getLogger(__name__)

# The captioners' work queue on the channel layer, and the type of what is sent there.
CAPTIONER_CHANNEL = "captioner.utterances"
UTTERANCE = "caption.utterance"
FULL_LOG_EVERY_SECONDS = 30.0


def utterance_message(space_id: int, user_id: int, utterance: Utterance, closed_at: float) -> dict:
    """What the captioner reads. The audio stays 48 kHz int16 (the captioner resamples it):
    a tobytes() is all the engine's loop spends on it."""
    return {
        "type": UTTERANCE,
        "space_id": space_id,
        "user_id": user_id,
        "start_ms": utterance.start_ms,
        "end_ms": utterance.end_ms,
        # Wall clock (seconds since the epoch): the captioner drops what waited too long.
        "closed_at": closed_at,
        "audio": utterance.samples.astype("<i2").tobytes(),
    }


class CaptionFeed:
    """One space's speakers, cut into utterances as the clock reads their frames."""

    def __init__(self, space_id: int):
        self.space_id = space_id
        self.cutters: dict[int, UtteranceCutter] = {}
        self.sending: set[asyncio.Future] = set()
        self.sent = 0
        self._full_logged_at = 0.0

    def add(self, user_id: int, samples, at_sample: int) -> None:
        """Called from the tick: cheap, never waits."""
        cutter = self.cutters.get(user_id)
        if cutter is None:
            cutter = self.cutters[user_id] = UtteranceCutter()
        for utterance in cutter.add(samples, at_sample):
            self._send(user_id, utterance)

    def flush(self, user_id: int) -> None:
        """The speaker left the stage: what they were saying is captioned now."""
        cutter = self.cutters.pop(user_id, None)
        if cutter is not None:
            for utterance in cutter.flush():
                self._send(user_id, utterance)

    async def close(self) -> None:
        """The session closes: flush everyone and wait until every utterance has left."""
        for user_id in list(self.cutters):
            self.flush(user_id)
        if self.sending:
            await asyncio.gather(*self.sending, return_exceptions=True)

    def _send(self, user_id: int, utterance: Utterance) -> None:
        message = utterance_message(self.space_id, user_id, utterance, time.time())
        task = asyncio.ensure_future(self._deliver(message))
        # Held until done: the loop keeps only weak references to tasks.
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _deliver(self, message: dict) -> None:
        try:
            await get_channel_layer().send(CAPTIONER_CHANNEL, message)
            self.sent += 1
        except ChannelFull:
            # No captioner is reading (or all are far behind): the captions of this moment
            # are lost, the audio and the mix are not. Said once in a while, not per utterance.
            now = time.monotonic()
            if now - self._full_logged_at >= FULL_LOG_EVERY_SECONDS:
                self._full_logged_at = now
                log.warning("space %s: the captioner queue is full; utterances are dropped", self.space_id)
        except Exception:
            log.exception("space %s: an utterance could not be handed to the captioner", self.space_id)
