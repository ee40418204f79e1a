"""The media engine: a consumer on the channel layer that owns the live sessions of the
spaces assigned to it.

It listens on its own channel for `media.offer` from room sockets, and joins each of its
spaces' engine groups, where the services send typed commands (rooms/media/commands.py: mute,
drop, end) after their changes commit. It never reads the events sent to browsers."""

import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from rooms.events import layer_message, receive_forever, space_group
from rooms.media import commands
from rooms.media.ice import limit_host_addresses
from rooms.media.nodes import do_heartbeat, do_register_node, do_retire_node
from rooms.media.peers import BadOffer
from rooms.media.session import SpaceSession
from rooms.models import Space
from rooms.signals import embedded_engine_started, embedded_engine_stopped

log = logging.getLogger(__name__)


def _live_space(space_id: int) -> Space | None:
    return Space.objects.filter(pk=space_id, state=Space.State.LIVE).only("started_at", "captions").first()


class MediaEngine:
    def __init__(self, name: str | None = None):
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.layer = get_channel_layer()
        self.sessions: dict[int, SpaceSession] = {}
        self.starting: dict[int, asyncio.Future] = {}
        # Encoding runs here, off the event loop; one thread keeps each file's writes in order.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="media-writer")
        self.channel: str | None = None
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        limit_host_addresses()
        # The default prefix: channels_redis serves every process-local channel of a layer
        # from one key, and a channel with its own prefix starves the others.
        self.channel = await self.layer.new_channel()
        await database_sync_to_async(do_register_node)(self.name, self.channel)
        self.tasks = [
            asyncio.ensure_future(receive_forever(self.layer, self.channel, self.handle, "media engine")),
            asyncio.ensure_future(self._heartbeat()),
        ]
        log.info("media engine %s listening on %s", self.name, self.channel)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for space_id in list(self.sessions):
            await self._end(space_id)
        await database_sync_to_async(do_retire_node)(self.name)
        self.executor.shutdown(wait=True)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.MEDIA_ENGINE["HEARTBEAT_SECONDS"])
            try:
                await database_sync_to_async(do_heartbeat)(self.name)
            except Exception:
                log.exception("heartbeat failed")

    async def handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "media.offer":
            # ICE gathering takes a moment: never hold up other spaces' messages for it.
            asyncio.ensure_future(self._offer(message))
        elif kind == commands.MESSAGE_TYPE:
            await self._command(message["space_id"], commands.from_message(message))

    async def _offer(self, message: dict) -> None:
        space_id, user_id = message["space_id"], message["user_id"]
        try:
            session = await self._session(space_id)
            if session is None:
                await self._tell(
                    space_id, user_id, {"type": "error", "code": "not_live", "message": "The space is not live."}
                )
                return
            answer = await session.connect(user_id, message["sdp"], bool(message.get("muted", True)))
        except BadOffer as error:
            await self._tell(space_id, user_id, {"type": "error", "code": "bad_sdp", "message": str(error)})
            return
        except Exception:
            # Whatever went wrong, the speaker hears about it rather than waiting forever.
            log.exception("offer of user %s in space %s failed", user_id, space_id)
            message = "The audio connection could not be set up: try again."
            await self._tell(space_id, user_id, {"type": "error", "code": "media_failed", "message": message})
            return
        await self._tell(space_id, user_id, {"type": "media.answer", "sdp": answer})

    async def _session(self, space_id: int) -> SpaceSession | None:
        if space_id in self.sessions:
            return self.sessions[space_id]
        if space_id in self.starting:
            return await self.starting[space_id]
        future = self.starting[space_id] = asyncio.get_running_loop().create_future()
        try:
            space = await database_sync_to_async(_live_space)(space_id)
            session = None
            if space is not None:
                session = SpaceSession(space_id, space.started_at, self.executor, captions=space.captions)
                self.sessions[space_id] = session
                await self.layer.group_add(commands.engine_group(space_id), self.channel)
            future.set_result(session)
            return session
        except Exception as error:
            future.set_exception(error)
            raise
        finally:
            del self.starting[space_id]

    async def _end(self, space_id: int):
        session = self.sessions.pop(space_id, None)
        if session is None:
            return None
        await self.layer.group_discard(commands.engine_group(space_id), self.channel)
        return await session.close()

    async def _command(self, space_id: int, command) -> None:
        if isinstance(command, commands.End):
            await self._end(space_id)
            return
        session = self.sessions.get(space_id)
        if session is None:
            return
        if isinstance(command, commands.Drop):
            await session.drop(command.user_id)
        elif isinstance(command, commands.Mute):
            session.set_muted(command.user_id, command.muted)

    async def _tell(self, space_id: int, user_id: int, event: dict) -> None:
        await self.layer.group_send(space_group(space_id), layer_message(space_id, event, to_user=user_id))


_embedded: dict[int, MediaEngine] = {}


async def ensure_embedded_engine() -> MediaEngine:
    """The web process's own engine (embedded mode), started on first use in this loop.

    Callers share one start: a second socket waits until the engine has registered, so it
    never routes an offer to an engine that is not listening yet."""
    loop = asyncio.get_running_loop()
    started = _embedded.get(id(loop))
    if started is None:
        started = _embedded[id(loop)] = loop.create_future()
        engine = MediaEngine(name=f"embedded-{socket.gethostname()}-{os.getpid()}-{id(loop)}")
        try:
            await engine.start()
            await _announce(embedded_engine_started, engine)
        except BaseException as error:
            del _embedded[id(loop)]
            started.set_exception(error)
            raise
        started.set_result(engine)
    return await asyncio.shield(started)


async def _announce(signal, engine: MediaEngine) -> None:
    # What runs beside the engine (the captioner) failing to start or stop must not take
    # the audio down with it: logged, and the engine carries on.
    for receiver, result in await signal.asend_robust(sender=MediaEngine, engine=engine):
        if isinstance(result, Exception):
            log.error("%s failed beside the embedded engine", receiver, exc_info=result)


def embedded_engine() -> MediaEngine | None:
    """This loop's embedded engine, if one has started."""
    started = _embedded.get(id(asyncio.get_running_loop()))
    if started is None or not started.done() or started.exception():
        return None
    return started.result()


async def stop_embedded_engine() -> None:
    """Stop this loop's embedded engine (tests; a web process keeps its engine for life)."""
    engine = embedded_engine()
    _embedded.pop(id(asyncio.get_running_loop()), None)
    if engine is not None:
        await engine.stop()
        await _announce(embedded_engine_stopped, engine)
