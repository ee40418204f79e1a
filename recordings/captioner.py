"""Live captions: the captioner reads the utterances the media engines hand over
(rooms/media/captions.py), recognises each in a worker thread and sends the room a `caption`.

It runs as its own process (`manage.py captioner`) so recognition never shares a core's
event loop with a mixing clock; in MEDIA_ENGINE_MODE=embedded it runs on the loop of the web
process's own engine instead (started and stopped with it, see recordings/receivers.py).

Captions are only worth having while they are current: an utterance that waited longer than
TRANSCRIBE["CAPTION_MAX_LAG_SECONDS"] is dropped, with every other one that old, and the room
is told once (`captions_behind`) instead of the captions lagging further and further."""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model

from recordings import speech
from rooms.events import layer_message, receive_forever, space_group
from rooms.media.captions import CAPTIONER_CHANNEL, UTTERANCE
from rooms.models import Space
from rooms.names import shown_name

log = logging.getLogger(__name__)

# Whether a space is captioned is read once per space this often: a space that ends or turns
# captions off stops being captioned within this time (its sockets close at the end anyway).
SPACE_CHECK_SECONDS = 3.0
NAME_CHECK_SECONDS = 60.0
# At most one `captions_behind` per space this often.
BEHIND_NOTICE_SECONDS = 5.0
LONGEST_AUDIO_SECONDS = 30  # Whisper's window; the engine cuts utterances at 20 s


class BadUtterance(ValueError):
    pass


@dataclass
class Heard:
    """One utterance waiting for recognition."""

    space_id: int
    user_id: int
    start_ms: int
    end_ms: int
    closed_at: float
    samples: np.ndarray  # 48 kHz int16


def _whole(message: dict, field: str) -> int:
    value = message.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadUtterance(f"`{field}` must be a whole number")
    return value


def parse(message: dict) -> Heard:
    """The utterance a layer message carries; BadUtterance saying why when it is malformed."""
    audio = message.get("audio")
    if not isinstance(audio, bytes) or len(audio) % 2:
        raise BadUtterance("`audio` must be 16-bit PCM bytes")
    if len(audio) > LONGEST_AUDIO_SECONDS * 48_000 * 2:
        raise BadUtterance("`audio` is longer than an utterance can be")
    closed_at = message.get("closed_at")
    if not isinstance(closed_at, (int, float)) or isinstance(closed_at, bool):
        raise BadUtterance("`closed_at` must be a time")
    start_ms, end_ms = _whole(message, "start_ms"), _whole(message, "end_ms")
    if end_ms < start_ms:
        raise BadUtterance("`end_ms` is before `start_ms`")
    samples = np.frombuffer(audio, dtype="<i2").astype(np.int16)
    return Heard(_whole(message, "space_id"), _whole(message, "user_id"), start_ms, end_ms, float(closed_at), samples)


def recognise(samples: np.ndarray) -> str:
    """The words of one utterance ("" for none). Runs in the captioner's worker thread."""
    segments = speech.transcribe(speech.from_pcm48(samples))
    return " ".join(segment.text for segment in segments).strip()


def _captioned(space_id: int) -> bool:
    return Space.objects.filter(pk=space_id, state=Space.State.LIVE, captions=True).exists()


def _name(user_id: int) -> str | None:
    user = get_user_model().objects.filter(pk=user_id).only("username", "first_name").first()
    return shown_name(user) if user else None


class Captioner:
    def __init__(self, channel: str = CAPTIONER_CHANNEL):
        self.channel = channel
        self.layer = get_channel_layer()
        self.queue: asyncio.Queue[Heard] = asyncio.Queue()
        # One thread: recognition is one utterance at a time on the configured cores, and
        # in order, so a speaker's captions arrive in the order they spoke.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="captioner")
        self.tasks: list[asyncio.Task] = []
        self._spaces: dict[int, tuple[float, bool]] = {}
        self._names: dict[int, tuple[float, str | None]] = {}
        self._behind_told: dict[int, float] = {}
        self.received = 0
        self.captioned = 0
        self.dropped = 0

    async def start(self, *, load_model: bool = False) -> None:
        if load_model:
            # A process of its own loads the model first: a missing one is a start-up error.
            await asyncio.get_running_loop().run_in_executor(self.worker, speech.model)
        self.tasks = [
            asyncio.ensure_future(receive_forever(self.layer, self.channel, self.receive, "captioner")),
            asyncio.ensure_future(self._work()),
        ]
        log.info("captioner reading %s", self.channel)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        # Awaited, not just cancelled: a task left pending when the loop closes hangs it.
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        # A recognition in progress finishes in its thread; nothing waits for it.
        self.worker.shutdown(wait=False, cancel_futures=True)

    async def receive(self, message: dict) -> None:
        if message.get("type") != UTTERANCE:
            log.warning("captioner: ignored a message of type %r", str(message.get("type"))[:40])
            return
        try:
            heard = parse(message)
        except BadUtterance as error:
            log.warning("captioner: ignored a malformed utterance: %s", error)
            return
        self.received += 1
        self.queue.put_nowait(heard)

    async def _work(self) -> None:
        while True:
            heard = await self.queue.get()
            try:
                await self._caption(heard)
            except Exception:
                log.exception("captioner: utterance of user %s in space %s failed", heard.user_id, heard.space_id)

    def _too_old(self, heard: Heard, now: float) -> bool:
        return now - heard.closed_at > settings.TRANSCRIBE["CAPTION_MAX_LAG_SECONDS"]

    async def _caption(self, heard: Heard) -> None:
        now = time.time()
        if self._too_old(heard, now):
            await self._fall_back(heard, now)
            return
        if not await self._is_captioned(heard.space_id):
            return
        loop = asyncio.get_running_loop()
        text = await loop.run_in_executor(self.worker, recognise, heard.samples)
        if not text:
            return
        name = await self._name(heard.user_id)
        if name is None:
            return
        event = {
            "type": "caption",
            "user_id": heard.user_id,
            "name": name,
            "start_ms": heard.start_ms,
            "end_ms": heard.end_ms,
            "text": text,
        }
        self.captioned += 1
        await self.layer.group_send(space_group(heard.space_id), layer_message(heard.space_id, event))

    async def _fall_back(self, first: Heard, now: float) -> None:
        """Drop `first` and whatever else waited too long; tell each space it concerns."""
        dropped = [first]
        kept = []
        while not self.queue.empty():
            heard = self.queue.get_nowait()
            (dropped if self._too_old(heard, now) else kept).append(heard)
        for heard in kept:
            self.queue.put_nowait(heard)
        self.dropped += len(dropped)
        counts: dict[int, int] = {}
        for heard in dropped:
            counts[heard.space_id] = counts.get(heard.space_id, 0) + 1
        log.warning("captioner behind: dropped %d utterances older than the limit", len(dropped))
        for space_id, count in counts.items():
            told = self._behind_told.get(space_id)
            if told is not None and time.monotonic() - told < BEHIND_NOTICE_SECONDS:
                continue
            if not await self._is_captioned(space_id):
                continue
            self._behind_told[space_id] = time.monotonic()
            event = {"type": "captions_behind", "dropped": count}
            await self.layer.group_send(space_group(space_id), layer_message(space_id, event))

    async def _is_captioned(self, space_id: int) -> bool:
        checked = self._spaces.get(space_id)
        if checked is None or time.monotonic() - checked[0] > SPACE_CHECK_SECONDS:
            checked = (time.monotonic(), await database_sync_to_async(_captioned)(space_id))
            self._spaces[space_id] = checked
        return checked[1]

    async def _name(self, user_id: int) -> str | None:
        checked = self._names.get(user_id)
        if checked is None or time.monotonic() - checked[0] > NAME_CHECK_SECONDS:
            checked = (time.monotonic(), await database_sync_to_async(_name)(user_id))
            self._names[user_id] = checked
        return checked[1]


# In embedded mode: the captioner of each event loop that has an embedded engine.
_embedded: dict[int, Captioner] = {}


async def start_embedded() -> Captioner:
    loop_id = id(asyncio.get_running_loop())
    captioner = _embedded.get(loop_id)
    if captioner is None:
        captioner = _embedded[loop_id] = Captioner()
        await captioner.start()
    return captioner


def embedded_captioner() -> Captioner | None:
    return _embedded.get(id(asyncio.get_running_loop()))


async def stop_embedded() -> None:
    captioner = _embedded.pop(id(asyncio.get_running_loop()), None)
    if captioner is not None:
        await captioner.stop()
