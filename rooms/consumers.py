"""The live room socket, /ws/spaces/<id>/. The protocol is written down in docs/room-protocol.md.

The consumer parses and validates each message, applies the per-connection rate limits and
calls one service; the services check roles. Deltas reach the socket through the process hub.
"""

import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from rooms.errors import InvalidRequest, NotAllowed, RoomError
from rooms.events import encode
from rooms.hub import get_hub
from rooms.media.nodes import access_engine_channel
from rooms.services import presence, recording, stage
from rooms.services.snapshot import display_name, participant_data, room_snapshot
from rooms.services.spaces import do_end_space

REACTIONS = ("👏", "😂", "❤️", "🔥", "💯", "🙌", "🤔", "😮")

# Close codes (4000-4999 are the application's own).
CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_ENDED = 4410
CLOSE_TOO_BIG = 1009
CLOSE_SERVER_ERROR = 1011

log = logging.getLogger(__name__)

BAD_TEXT = InvalidRequest(
    "Text must be valid Unicode: a lone surrogate (\\ud800 to \\udfff without its pair) is not allowed.",
    code="bad_text",
)
SERVER_ERROR = RoomError("Something went wrong on the server; try again.", code="server_error")


class RateLimit:
    """A token bucket: `rate` tokens a second, holding at most `burst`."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# User ids are 64-bit: a larger number would crash the database query (and the socket with it).
USER_ID_RANGE = range(-(2**63), 2**63)


def _flag(message: dict, field: str) -> bool:
    value = message.get(field)
    if not isinstance(value, bool):
        raise InvalidRequest(f"`{field}` must be true or false.", code="bad_field")
    return value


def _has_lone_surrogate(text_data: str, message) -> bool:
    """Whether any string of the message, key or value, holds half of a surrogate pair.

    JSON lets a client write one as an escape ("\\ud800"); Python decodes it into a str that
    cannot be encoded to UTF-8, so every echo of it (a `ref`, an unknown type) would crash the
    server's write. Walked with a stack, not recursion: the parser accepts nesting almost as
    deep as the recursion limit."""
    if text_data.isascii() and "\\u" not in text_data:
        return False  # the hot path: such text cannot hold one
    stack = [message]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode()
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _user_id(message: dict) -> int:
    value = message.get("user_id")
    if not isinstance(value, int) or isinstance(value, bool) or value not in USER_ID_RANGE:
        raise InvalidRequest("`user_id` must be a whole number.", code="bad_field")
    return value


class RoomConsumer(AsyncWebsocketConsumer):
    # No channel per socket: the process hub holds the one subscription per space.
    channel_layer_alias = "per-socket-channels-disabled"
    # Counted in the room (presence, the hub): from do_connect until _leave.
    joined = False
    # Nothing more can be written: the client went away, or we closed the socket.
    closed = False

    async def __call__(self, scope, receive, send):
        space_id = scope["url_route"]["kwargs"]["space_id"]

        async def send_to_client(message):
            if self.closed:
                return
            try:
                await send(message)
            except OSError:
                # The client went away (uvicorn's ClientDisconnected, a reset connection):
                # nothing is wrong here, and the server delivers the disconnect next.
                log.debug("the client of a socket in space %s went away during a write", space_id)
                self.closed = True
                return
            if message["type"] == "websocket.close":
                self.closed = True

        # Whatever ends this socket, an exception included, it leaves the room: otherwise its
        # presence, its place in the listener count and its hub membership would stay for good.
        try:
            await super().__call__(scope, receive, send_to_client)
        finally:
            await self._leave()

    async def connect(self):
        self.space_id = self.scope["url_route"]["kwargs"]["space_id"]
        self.user = self.scope["user"]
        self.user_id = self.user.pk if self.user.is_authenticated else None
        self.backlog: list | None = None
        self.hub = get_hub()
        limits = settings.ROUNDTABLE
        self.reaction_limit = RateLimit(limits["REACTIONS_PER_SECOND"], limits["REACTIONS_PER_SECOND"] * 2)
        self.hand_limit = RateLimit(limits["HAND_RAISES_PER_MINUTE"] / 60, 3)
        await self.accept()
        try:
            await self._join()
        except RoomError as error:
            await self.send_error(error)
            await self.close(code=_close_code_for(error))
        except Exception:
            # A fault of ours (say, while building the snapshot): uncount the socket now, and
            # close with 1011 so that the client reconnects.
            log.exception("could not open a socket in space %s", self.space_id)
            await self._leave()
            await self.send_error(SERVER_ERROR)
            await self.close(code=CLOSE_SERVER_ERROR)

    async def _join(self):
        space, me, arrived = await database_sync_to_async(presence.do_connect)(self.space_id, self.user)
        self.joined = True
        # Reactions are the hot path: the socket tracks liveness from events, with no query.
        self.live = space.is_live
        # Join the hub before taking the snapshot so that no delta falls between them, and
        # hold the deltas that arrive meanwhile until the snapshot has gone out.
        self.backlog = []
        await self.hub.join(self.space_id, self)
        snapshot = await database_sync_to_async(room_snapshot)(space, me)
        await self.send(text_data=encode(snapshot))
        while self.backlog:
            await self._write(*self.backlog.pop(0))
        self.backlog = None
        if arrived:
            self.hub.note_joined(self.space_id, participant_data(me) if me else None)

    async def disconnect(self, code):
        await self._leave()

    async def _leave(self) -> None:
        """Uncount the socket, once. The hub first, so no event is written to it meanwhile."""
        if not self.joined:
            return
        self.joined = False
        await self.hub.leave(self.space_id, self)
        try:
            await database_sync_to_async(presence.do_disconnect)(self.space_id, self.user)
        except Exception:
            log.exception("could not uncount a socket of space %s", self.space_id)
            return
        if self.user_id:
            self.hub.expire_later(self.space_id, self.user_id)
        else:
            self.hub.note_left(self.space_id, None)

    async def push(self, text: str, event: str | None) -> None:
        """Called by the hub for each event of this space."""
        if self.closed:
            return
        if self.backlog is not None:  # the snapshot is not out yet
            self.backlog.append((text, event))
            return
        await self._write(text, event)

    async def _write(self, text: str, event: str | None) -> None:
        await self.send(text_data=text)
        if event == "space.started":
            self.live = True
        elif event == "space.ended":
            await self.close(code=CLOSE_ENDED)
        elif event in ("removed", "suspended"):
            await self.close(code=CLOSE_FORBIDDEN)

    # --- input -----------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None:
            await self.send_error(InvalidRequest("Send JSON text frames.", code="binary_frame"))
            return
        # surrogatepass: a lone surrogate is measured here and refused below, not a crash.
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.ROUNDTABLE["MAX_FRAME_BYTES"]:
            await self.send_error(InvalidRequest("Message too large.", code="too_large"))
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):  # deep nesting fits in a small frame
            await self.send_error(InvalidRequest("Messages must be JSON.", code="bad_json"))
            return
        if _has_lone_surrogate(text_data, message):
            await self.send_error(BAD_TEXT)
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_error(InvalidRequest("Each message is an object with a `type`.", code="bad_message"))
            return
        ref = message.get("ref")
        if ref is not None and not isinstance(ref, (str, int)):
            ref = None
        handler = self.HANDLERS.get(message["type"])
        if handler is None:
            await self.send_error(
                InvalidRequest(f"Unknown message type {message['type'][:40]!r}.", code="unknown_type"), ref
            )
            return
        if not self.joined:
            await self.send_error(NotAllowed("You are not in this space.", code="not_in_space"), ref)
            return
        try:
            await handler(self, message)
        except RoomError as error:
            await self.send_error(error, ref)
            return
        except Exception:
            # A fault of ours: the sender hears of it and the socket carries on. The services
            # change the database in one transaction, so nothing was half done.
            log.exception("room message %r failed in space %s", message["type"], self.space_id)
            await self.send_error(SERVER_ERROR, ref)
            return
        if ref is not None:
            await self.send_json({"type": "ack", "ref": ref})

    async def send_json(self, data: dict) -> None:
        await self.send(text_data=encode(data))

    async def send_error(self, error: RoomError, ref=None) -> None:
        data = {"type": "error", "code": error.code, "message": error.message}
        if ref is not None:
            data["ref"] = ref
        await self.send_json(data)

    # --- handlers ------------------------------------------------------------------
    def _need_login(self):
        if not self.user_id:
            raise NotAllowed("Log in to do that.", code="login_required")

    async def _call(self, service, *args):
        self._need_login()
        return await database_sync_to_async(service)(self.user, self.space_id, *args)

    async def on_ping(self, message):
        await self.send_json({"type": "pong"})

    async def on_hand_raise(self, message):
        self._need_login()
        if not self.hand_limit.take():
            raise InvalidRequest("Slow down: you raised your hand too often.", code="rate_limited")
        await self._call(stage.do_raise_hand)

    async def on_hand_lower(self, message):
        target = _user_id(message) if "user_id" in message else None
        await self._call(stage.do_lower_hand, target)

    async def on_speaker_add(self, message):
        await self._call(stage.do_bring_up, _user_id(message))

    async def on_speaker_invite(self, message):
        await self._call(stage.do_invite_to_speak, _user_id(message))

    async def on_invite_accept(self, message):
        await self._call(stage.do_answer_invite, True)

    async def on_invite_decline(self, message):
        await self._call(stage.do_answer_invite, False)

    async def on_speaker_step_down(self, message):
        await self._call(stage.do_step_down)

    async def on_speaker_remove(self, message):
        await self._call(stage.do_move_to_listener, _user_id(message))

    async def on_cohost_add(self, message):
        await self._call(stage.do_set_cohost, _user_id(message), True)

    async def on_cohost_remove(self, message):
        await self._call(stage.do_set_cohost, _user_id(message), False)

    async def on_mute(self, message):
        target = _user_id(message) if "user_id" in message else None
        await self._call(stage.do_set_muted, target, True)

    async def on_unmute(self, message):
        await self._call(stage.do_set_muted, None, False)

    async def on_mute_allow(self, message):
        await self._call(stage.do_allow_unmute, _user_id(message))

    async def on_mute_all(self, message):
        await self._call(stage.do_mute_all)

    async def on_participant_remove(self, message):
        await self._call(stage.do_remove, _user_id(message))

    async def on_space_end(self, message):
        self._need_login()
        await database_sync_to_async(do_end_space)(self.user, self.space_id)

    async def on_recording_set(self, message):
        # Login first, as for reactions: a guest is asked to log in whatever they sent.
        self._need_login()
        await self._call(recording.do_set_recording, _flag(message, "on"))

    async def on_recording_opt_out(self, message):
        self._need_login()
        await self._call(recording.do_set_recording_opt_out, _flag(message, "opt_out"))

    async def on_reaction(self, message):
        self._need_login()
        emoji = message.get("emoji")
        if emoji not in REACTIONS:
            raise InvalidRequest("Unknown reaction.", code="bad_field")
        if not self.reaction_limit.take():
            raise InvalidRequest("Slow down: too many reactions.", code="rate_limited")
        if not self.live:
            raise NotAllowed("The space is not live.", code="not_live")
        self.hub.note_reaction(self.space_id, emoji, {"user_id": self.user_id, "name": display_name(self.user)})

    async def on_media_offer(self, message):
        """A speaker's WebRTC offer, relayed to the engine that mixes this space; the answer
        comes back as a personal `media.answer` event."""
        sdp = message.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > 16 * 1024:
            raise InvalidRequest("`sdp` must be an SDP offer.", code="bad_sdp")
        me = await self._call(stage.access_microphone)
        channel = await self._engine_channel()
        await get_channel_layer().send(
            channel,
            {"type": "media.offer", "space_id": self.space_id, "user_id": self.user_id, "sdp": sdp, "muted": me.muted},
        )

    async def on_media_leave(self, message):
        await self._call(stage.do_stop_audio)

    async def _engine_channel(self) -> str:
        if settings.MEDIA_ENGINE["MODE"] == "embedded":
            from rooms.media.engine import ensure_embedded_engine

            await ensure_embedded_engine()
        return await database_sync_to_async(access_engine_channel)(self.space_id)

    HANDLERS = {
        "ping": on_ping,
        "hand.raise": on_hand_raise,
        "hand.lower": on_hand_lower,
        "speaker.add": on_speaker_add,
        "speaker.invite": on_speaker_invite,
        "invite.accept": on_invite_accept,
        "invite.decline": on_invite_decline,
        "speaker.step_down": on_speaker_step_down,
        "speaker.remove": on_speaker_remove,
        "cohost.add": on_cohost_add,
        "cohost.remove": on_cohost_remove,
        "mute": on_mute,
        "unmute": on_unmute,
        "mute.allow": on_mute_allow,
        "mute.all": on_mute_all,
        "participant.remove": on_participant_remove,
        "space.end": on_space_end,
        "recording.set": on_recording_set,
        "recording.opt_out": on_recording_opt_out,
        "reaction": on_reaction,
        "media.offer": on_media_offer,
        "media.leave": on_media_leave,
    }


def _close_code_for(error: RoomError) -> int:
    if error.code == "space_ended":
        return CLOSE_ENDED
    if error.code == "not_found":
        return CLOSE_NOT_FOUND
    return CLOSE_FORBIDDEN
