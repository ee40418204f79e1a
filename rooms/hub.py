"""One subscription per space per server process, fanned out to that process's sockets.

channels_redis' group_send costs work per group member, so ten thousand sockets each in the
space's group would make every hand raise ten thousand Redis operations. Instead each
process joins the group once (its hub channel) when its first socket for the space opens,
receives each event once, and writes the already-serialized text to its local sockets.

The hub also batches the high-volume, low-value events of a space, reactions and the
comings and goings of people, into at most one `batch` message per interval.
"""

import asyncio
import logging
import time
from collections import Counter, defaultdict

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from rooms.events import encode, receive_forever, space_group
from rooms.models import Space
from rooms.services.snapshot import listener_count

log = logging.getLogger(__name__)

RECENT_REACTIONS = 20


class SpaceBatch:
    def __init__(self):
        self.reactions: Counter = Counter()
        self.recent: list[dict] = []
        self.joined: dict[str, dict] = {}
        self.left: set = set()

    def event(self, count: int) -> dict:
        return {
            "type": "batch",
            "reactions": dict(self.reactions),
            "recent_reactions": self.recent[-RECENT_REACTIONS:],
            "joined": list(self.joined.values()),
            "left": sorted(self.left),
            "listener_count": count,
        }


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop | None = None):
        self.loop = loop
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.sockets: dict[int, set] = defaultdict(set)
        self.by_user: dict[tuple[int, int], set] = defaultdict(set)
        self.batches: dict[int, SpaceBatch] = {}
        self.fanout_seconds: dict[int, float] = {}
        # Spaces whose group the hub channel is in, and a lock per space so that a join and
        # a leave never interleave their group_add / group_discard (see _subscribe).
        self.subscribed: set[int] = set()
        self._space_locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._receiver: asyncio.Task | None = None
        self._flusher: asyncio.Task | None = None
        self._start_lock = asyncio.Lock()

    async def _ensure_started(self) -> None:
        async with self._start_lock:
            if self.channel is None:
                # The default prefix: channels_redis serves every process-local channel of a
                # layer from one key, and a channel with its own prefix starves the others.
                self.channel = await self.layer.new_channel()
                self._receiver = asyncio.create_task(receive_forever(self.layer, self.channel, self.deliver, "hub"))

    async def join(self, space_id: int, socket) -> None:
        await self._ensure_started()
        self.sockets[space_id].add(socket)
        if socket.user_id:
            self.by_user[(space_id, socket.user_id)].add(socket)
        await self._subscribe(space_id)

    async def leave(self, space_id: int, socket) -> None:
        if space_id not in self.sockets and space_id not in self.subscribed:
            return
        self._forget(space_id, socket)
        try:
            await self._subscribe(space_id)
        except Exception:
            # A leaving socket must not fail its disconnect over the layer: the membership
            # stays and expires with the group, and the next join or leave retries it.
            log.exception("could not update the subscription of space %s", space_id)

    def _forget(self, space_id: int, socket) -> None:
        """Stop writing to `socket`; the group membership follows in _subscribe."""
        local = self.sockets.get(space_id)
        if local is None:
            return
        local.discard(socket)
        if socket.user_id:
            mine = self.by_user.get((space_id, socket.user_id))
            if mine is not None:
                mine.discard(socket)
                if not mine:
                    del self.by_user[(space_id, socket.user_id)]
        if not local:
            del self.sockets[space_id]
            self.fanout_seconds.pop(space_id, None)

    async def _subscribe(self, space_id: int) -> None:
        """Bring the group membership in line with whether any socket is here.

        Under the lock, so a reload (the last socket leaving while a new one joins) cannot
        run group_discard after group_add; and join returns only once subscribed."""
        async with self._space_locks[space_id]:
            wanted = bool(self.sockets.get(space_id))
            if wanted and space_id not in self.subscribed:
                await self.layer.group_add(space_group(space_id), self.channel)
                self.subscribed.add(space_id)
            elif not wanted and space_id in self.subscribed:
                await self.layer.group_discard(space_group(space_id), self.channel)
                self.subscribed.discard(space_id)

    # --- receiving -------------------------------------------------------------
    async def deliver(self, message: dict) -> None:
        space_id: int = message["space_id"]
        to_user = message.get("to_user")
        if to_user is not None:
            targets = list(self.by_user.get((space_id, to_user), ()))
        else:
            targets = list(self.sockets.get(space_id, ()))
        text = message["text"]
        event = message.get("event")
        started = time.monotonic()
        for socket in targets:
            try:
                await socket.push(text, event)
            except Exception:
                # Sockets take a closed connection quietly, so this is a fault: log it once,
                # not at every event to come. The socket's disconnect still unsubscribes.
                log.exception("could not write to a socket of space %s; it gets no more events", space_id)
                self._forget(space_id, socket)
        if to_user is None:
            self.fanout_seconds[space_id] = time.monotonic() - started

    # --- batching --------------------------------------------------------------
    def _batch(self, space_id: int) -> SpaceBatch:
        batch = self.batches.get(space_id)
        if batch is None:
            batch = self.batches[space_id] = SpaceBatch()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())
        return batch

    def note_reaction(self, space_id: int, emoji: str, who: dict) -> None:
        batch = self._batch(space_id)
        batch.reactions[emoji] += 1
        batch.recent.append({"emoji": emoji, **who})
        del batch.recent[:-RECENT_REACTIONS]

    def note_joined(self, space_id: int, participant: dict | None) -> None:
        batch = self._batch(space_id)
        if participant is not None:
            batch.left.discard(participant["user_id"])
            batch.joined[str(participant["user_id"])] = participant

    def note_left(self, space_id: int, user_id: int | None) -> None:
        batch = self._batch(space_id)
        if user_id is not None:
            batch.joined.pop(str(user_id), None)
            batch.left.add(user_id)

    def _batch_gap(self) -> float:
        """Seconds until the next batch: the setting, or twice the time the last room-wide
        fan-out of a pending space took here, whichever is longer. A crowd joining a space
        of thousands would otherwise queue batch behind batch (each a full fan-out of the
        new listener count) and delay the events that matter, like hand raises."""
        slowest = max((self.fanout_seconds.get(space_id, 0.0) for space_id in self.batches), default=0.0)
        return max(settings.ROUNDTABLE["BATCH_INTERVAL_MS"] / 1000, 2 * slowest)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self._batch_gap())
        batches, self.batches = self.batches, {}
        for space_id, batch in batches.items():
            try:
                count = await database_sync_to_async(_count_listeners)(space_id)
                event = batch.event(count)
                await self.layer.group_send(
                    space_group(space_id),
                    {"type": "room.event", "space_id": space_id, "event": "batch", "text": encode(event)},
                )
            except Exception:
                log.exception("could not send the batch of space %s", space_id)
        if self.batches:
            self._flusher = asyncio.create_task(self._flush_soon())

    # --- presence grace -----------------------------------------------------------
    def expire_later(self, space_id: int, user_id: int) -> None:
        delay = settings.ROUNDTABLE["PRESENCE_GRACE_SECONDS"] + 0.5
        asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(self._expire(space_id, user_id)))

    async def _expire(self, space_id: int, user_id: int) -> None:
        from rooms.services.presence import do_expire_presence

        try:
            if await database_sync_to_async(do_expire_presence)(space_id, user_id):
                self.note_left(space_id, user_id)
        except Exception:
            log.exception("presence expiry failed for user %s in space %s", user_id, space_id)


def _count_listeners(space_id: int) -> int:
    space = Space.objects.filter(pk=space_id).only("guest_listeners").first()
    return listener_count(space) if space else 0


_hubs: dict[int, Hub] = {}


def get_hub() -> Hub:
    """The hub of the running event loop (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(id(loop))
    if hub is None or hub.loop is not loop:
        hub = Hub(loop)
        _hubs.clear()  # only one loop serves at a time; drop hubs of closed loops
        _hubs[id(loop)] = hub
    return hub
