"""Helpers for driving the room socket through the real ASGI stack (origin check, session auth).

`Sockets` opens communicators and closes every one of them when the test ends; `RoomSocket`
wraps one communicator with readers that wait for a message matching a predicate, skipping
the unrelated ones (mostly `batch` events, whose timing the tests never depend on).
"""

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from socket import create_server

import pytest
import uvicorn
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from uvicorn.protocols.utils import ClientDisconnected
from websockets import ConnectionClosed
from websockets.asyncio.client import connect as websocket_connect

from config.asgi import application
from rooms.events import layer_message, space_group
from rooms.models import Participant, Space

TIMEOUT = 3
ORIGIN = b"http://127.0.0.1"
HOST = b"127.0.0.1"

# The protocol's schema: every message a socket test receives must match it (see _receive),
# so the whole consumer suite proves that the server sends only what the docs describe.
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "room-protocol.schema.json").read_text())
SERVER_MESSAGES = Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/server_message"})
# Made up by the tests themselves (see marker) and sent through the space's group.
TEST_EVENTS = {"test.marker"}


def schema_errors(message) -> str | None:
    """Why `message` is not a server message of the schema; None when it is one.

    The error is looked for in the definition of the message's own type: the oneOf of all
    types would report that it matched none of them."""
    if SERVER_MESSAGES.is_valid(message):
        return None
    kind = message.get("type") if isinstance(message, dict) else None
    if kind not in SCHEMA["$defs"] or {"$ref": f"#/$defs/{kind}"} not in SCHEMA["$defs"]["server_message"]["oneOf"]:
        return f"no server message has the type {kind!r}"
    error = best_match(
        SERVER_MESSAGES.evolve(schema={"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{kind}"}).iter_errors(message)
    )
    return f"{kind}: {error.message} at {error.json_path}"


# Every client message type and the persona fixtures the tests use.
PERSONAS = ("host", "cohost", "speaker", "listener", "raised", "outsider", "staff", "guest")


def space_url(space_id) -> str:
    return f"/ws/spaces/{space_id}/"


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def session_cookie(user) -> str | None:
    """A session cookie for `user`; None for a guest (an AnonymousUser)."""
    if user is None or not user.is_authenticated:
        return None
    return await database_sync_to_async(_session_cookie)(user)


def headers(cookie: str | None = None, origin: bytes = ORIGIN) -> list[tuple[bytes, bytes]]:
    result = [(b"origin", origin), (b"host", HOST)]
    if cookie:
        result.append((b"cookie", f"sessionid={cookie}".encode()))
    return result


class SocketClosed(AssertionError):
    def __init__(self, code):
        super().__init__(f"the socket was closed (code {code}) before the awaited message")
        self.code = code


class RoomSocket:
    """One open room socket and everything it has received so far."""

    def __init__(self, communicator: WebsocketCommunicator, name: str):
        self.communicator = communicator
        self.name = name
        self.seen: list[dict] = []
        self.inbox: list[dict] = []
        self.close_code: int | None = None
        self.disconnected = False

    def __repr__(self):
        return f"<RoomSocket {self.name}>"

    # --- sending ----------------------------------------------------------------
    async def send(self, type_: str, **fields) -> None:
        await self.communicator.send_json_to({"type": type_, **fields})

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_to(bytes_data=data)

    # --- receiving --------------------------------------------------------------
    # A mailbox: messages read while looking for one thing stay in `inbox` for the next
    # look, so a test can wait for the ack and then for the delta, whichever came first.
    def _recent(self) -> str:
        return repr(self.seen[-6:])

    async def _receive(self, deadline: float) -> dict | None:
        """Reads one frame into the inbox; None once the server has closed the socket."""
        if self.close_code is not None:
            return None
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"{self.name}: timed out; last messages {self._recent()}")
        try:
            output = await self.communicator.receive_output(left)
        except TimeoutError:
            raise AssertionError(f"{self.name}: nothing more received; last messages {self._recent()}") from None
        if output["type"] == "websocket.close":
            self.close_code = output.get("code", 1000)
            return None
        assert output["type"] == "websocket.send", output
        assert "text" in output, f"{self.name}: expected a text frame, got {output!r}"
        try:  # the communicator hands text over as it is; a real server must encode it to UTF-8
            output["text"].encode()
        except UnicodeEncodeError:
            raise AssertionError(f"{self.name}: the server sent text no server can encode: {output!r}") from None
        message = json.loads(output["text"])
        if not (isinstance(message, dict) and message.get("type") in TEST_EVENTS):
            problem = schema_errors(message)
            assert problem is None, (
                f"{self.name}: the server sent a message outside docs/room-protocol.schema.json ({problem}): {message!r}"
            )
        self.seen.append(message)
        self.inbox.append(message)
        return message

    async def until(self, predicate: Callable[[dict], bool], timeout: float = TIMEOUT) -> list[dict]:
        """Takes every message up to and including the first that matches `predicate`."""
        deadline = asyncio.get_running_loop().time() + timeout
        checked = 0
        while True:
            for index in range(checked, len(self.inbox)):
                if predicate(self.inbox[index]):
                    taken, self.inbox = self.inbox[: index + 1], self.inbox[index + 1 :]
                    return taken
            checked = len(self.inbox)
            if await self._receive(deadline) is None:
                raise SocketClosed(self.close_code)

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float = TIMEOUT) -> dict:
        """Takes the first message that matches `predicate`; the others stay in the inbox."""
        deadline = asyncio.get_running_loop().time() + timeout
        checked = 0
        while True:
            for index in range(checked, len(self.inbox)):
                if predicate(self.inbox[index]):
                    return self.inbox.pop(index)
            checked = len(self.inbox)
            if await self._receive(deadline) is None:
                raise SocketClosed(self.close_code)

    async def next(self, timeout: float = TIMEOUT) -> dict:
        return await self.wait_for(lambda m: True, timeout)

    async def wait_type(self, type_: str, timeout: float = TIMEOUT, **match) -> dict:
        return await self.wait_for(
            lambda m: m["type"] == type_ and all(m.get(k) == v for k, v in match.items()), timeout
        )

    async def expect(self, type_: str, timeout: float = TIMEOUT) -> dict:
        """The next message that is not a `batch` must be of `type_`."""
        message = await self.wait_for(lambda m: m["type"] != "batch", timeout)
        assert message["type"] == type_, f"{self.name}: expected {type_!r}, got {message!r}"
        return message

    async def expect_error(self, code: str, ref=None, timeout: float = TIMEOUT) -> dict:
        """The answer to the message with `ref` (or, without one, the next answer) is error `code`."""
        if ref is None:
            message = await self.wait_for(lambda m: m["type"] in ("ack", "error", "pong"), timeout)
        else:
            message = await self.wait_for(lambda m: m["type"] in ("ack", "error") and m.get("ref") == ref, timeout)
        assert message["type"] == "error", f"{self.name}: expected error {code!r}, got {message!r}"
        assert message["code"] == code, f"{self.name}: expected error {code!r}, got {message!r}"
        assert isinstance(message["message"], str) and message["message"]
        if ref is None:
            assert "ref" not in message, message
        return message

    async def expect_ack(self, ref, timeout: float = TIMEOUT) -> dict:
        """The ack of `ref`. Deltas may come first: the hub can deliver them while the handler runs."""
        message = await self.wait_for(lambda m: m["type"] in ("ack", "error") and m.get("ref") == ref, timeout)
        assert message == {"type": "ack", "ref": ref}, f"{self.name}: expected the ack of {ref!r}, got {message!r}"
        return message

    async def expect_update(self, user_id: int, timeout: float = TIMEOUT) -> dict:
        """The next `participant.updated` about `user_id` (other events skipped); returns the participant."""
        message = await self.wait_for(
            lambda m: m["type"] == "participant.updated" and m["participant"]["user_id"] == user_id, timeout
        )
        return message["participant"]

    async def ping(self, timeout: float = TIMEOUT) -> None:
        """Proves the socket is open and answering: a ping gets a pong."""
        await self.send("ping")
        await self.wait_type("pong", timeout)

    async def wait_closed(self, timeout: float = TIMEOUT) -> int:
        """Reads until the server closes the socket (messages stay in the inbox); returns the code."""
        deadline = asyncio.get_running_loop().time() + timeout
        while await self._receive(deadline) is not None:
            pass
        return self.close_code

    async def disconnect(self) -> None:
        if self.disconnected:
            return
        self.disconnected = True
        await self.communicator.disconnect(timeout=TIMEOUT)


class Droppable:
    """The application behind a client that can vanish: after `drop()` every write to the
    socket raises what uvicorn raises for a client that has gone (ClientDisconnected)."""

    def __init__(self):
        self.dropped = False

    def drop(self) -> None:
        self.dropped = True

    async def __call__(self, scope, receive, send):
        async def send_to_client(message):
            if self.dropped:
                raise ClientDisconnected()
            await send(message)

        await application(scope, receive, send_to_client)


def label(user, name: str | None) -> str:
    return name or (user.username if user is not None and user.is_authenticated else "guest")


class Opener:
    """What opening sockets for a test needs: a session cookie per user, made once."""

    def __init__(self):
        self.opened: list[RoomSocket] = []
        self._cookies: dict[int, str] = {}

    async def cookie(self, user) -> str | None:
        if user is None or not user.is_authenticated:
            return None
        if user.pk not in self._cookies:
            self._cookies[user.pk] = await session_cookie(user)
        return self._cookies[user.pk]

    async def opened_socket(self, transport, user, name: str | None, snapshot: bool) -> RoomSocket:
        """Wraps a connected transport and (by default) reads the snapshot, then `socket.snapshot`."""
        socket = RoomSocket(transport, label(user, name))
        self.opened.append(socket)
        if snapshot:
            socket.snapshot = await socket.next()
            assert socket.snapshot["type"] == "snapshot", socket.snapshot
        return socket


class Sockets(Opener):
    """Opens room sockets for a test and disconnects all of them at the end."""

    def __init__(self):
        super().__init__()
        self.communicators: list[WebsocketCommunicator] = []

    async def communicator(self, space_id, user=None, origin: bytes = ORIGIN, app=application) -> WebsocketCommunicator:
        cookie = await self.cookie(user)
        communicator = WebsocketCommunicator(app, space_url(space_id), headers=headers(cookie, origin))
        self.communicators.append(communicator)
        return communicator

    async def open(
        self, space_id, user=None, *, name: str | None = None, snapshot: bool = True, app=application
    ) -> RoomSocket:
        """Connects through the in-memory communicator (to `app`, by default the site's)."""
        communicator = await self.communicator(space_id, user, app=app)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected, f"{label(user, name)}: the socket was not accepted"
        return await self.opened_socket(communicator, user, name, snapshot)

    async def close_all(self) -> None:
        """Disconnects every socket; an app that crashed (rather than was stopped) fails the test."""
        crashes = []
        for socket in self.opened:
            socket.disconnected = True
        for communicator in self.communicators:
            future = communicator._future
            if future is not None and future.done():
                if not future.cancelled() and future.exception() is not None:
                    crashes.append(future.exception())
                continue
            try:
                # Generous: a handler still inside the database must finish before the test ends.
                await communicator.disconnect(timeout=10)
            except (Exception, asyncio.CancelledError) as error:
                crashes.append(error)
        if crashes:
            raise AssertionError(f"room sockets crashed: {crashes!r}") from crashes[0]


class ServedConnection:
    """A websockets client connection, read through the communicator methods RoomSocket uses."""

    def __init__(self, connection):
        self.connection = connection

    async def receive_output(self, timeout: float) -> dict:
        try:
            data = await asyncio.wait_for(self.connection.recv(), timeout)
        except ConnectionClosed as closed:
            return {"type": "websocket.close", "code": closed.rcvd.code if closed.rcvd else 1006}
        return {"type": "websocket.send", "text" if isinstance(data, str) else "bytes": data}

    async def send_to(self, text_data=None, bytes_data=None) -> None:
        await self.connection.send(text_data if text_data is not None else bytes_data)

    async def send_json_to(self, data) -> None:
        await self.connection.send(json.dumps(data))

    async def disconnect(self, timeout: float = TIMEOUT) -> None:
        await asyncio.wait_for(self.connection.close(), timeout)

    def abort(self) -> None:
        """Drops the TCP connection with no closing handshake, as a phone losing its network does."""
        self.connection.transport.abort()


class Served(Opener):
    """The site behind uvicorn, with the websocket settings of scripts/web, on a free port of
    127.0.0.1 in the test's event loop. Unlike the communicator, it encodes each text frame
    to UTF-8 and reports a client that has gone, as production does."""

    def __init__(self):
        super().__init__()
        config = uvicorn.Config(
            application,
            ws="websockets-sansio",
            lifespan="off",
            log_config=None,
            access_log=False,
            ws_ping_interval=None,
        )
        config.load()
        self.server = uvicorn.Server(config)
        self.listener = create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]

    async def start(self) -> None:
        # Server.serve() would also run a main loop that only ticks; startup() returns once listening.
        self.server.lifespan = self.server.config.lifespan_class(self.server.config)
        await self.server.startup(sockets=[self.listener])

    async def open(self, space_id, user=None, *, name: str | None = None, snapshot: bool = True) -> RoomSocket:
        """Connects over TCP; `socket.task` is the server's task running the socket's application."""
        cookie = await self.cookie(user)
        running = set(self.server.server_state.tasks)
        connection = await websocket_connect(
            f"ws://127.0.0.1:{self.port}{space_url(space_id)}",
            origin=ORIGIN.decode(),
            additional_headers={"Cookie": f"sessionid={cookie}"} if cookie else {},
            open_timeout=TIMEOUT,
        )
        (task,) = set(self.server.server_state.tasks) - running
        socket = await self.opened_socket(ServedConnection(connection), user, name, snapshot)
        socket.task = task
        return socket

    async def finished(self, sockets: list[RoomSocket], timeout: float = TIMEOUT) -> None:
        """Waits until the server is done with each socket: its application has returned."""
        _, pending = await asyncio.wait([s.task for s in sockets], timeout=timeout)
        assert not pending, f"{len(pending)} of {len(sockets)} sockets still run on the server"

    async def stop(self) -> None:
        for socket in self.opened:
            socket.communicator.abort()
        await self.server.shutdown(sockets=[self.listener])


async def open_people(sockets: Sockets, people, *names: str) -> dict[str, RoomSocket]:
    """A room socket for each named persona of the `people` fixture, snapshots read."""
    opened = {}
    for name in names:
        opened[name] = await sockets.open(people.space.pk, getattr(people, name), name=name)
    return opened


async def marker(space_id: int, tag: str = "marker") -> dict:
    """Sends a made-up event through the space's group. The hub delivers a space's events in
    order, so a socket that reads up to the marker has seen everything sent to it before."""
    event = {"type": "test.marker", "tag": tag}
    await get_channel_layer().group_send(space_group(space_id), layer_message(space_id, event))
    return event


async def read_to_marker(socket: RoomSocket, tag: str = "marker") -> list[dict]:
    """Everything the socket received before the marker (the marker itself left out)."""
    got = await socket.until(lambda m: m["type"] == "test.marker" and m.get("tag") == tag)
    return got[:-1]


def types(messages: list[dict], *, skip_batches: bool = True) -> list[str]:
    return [m["type"] for m in messages if not (skip_batches and m["type"] == "batch")]


# --- the database, read from the async tests ------------------------------------------
PARTICIPANT_FIELDS = (
    "user_id",
    "role",
    "hand_raised_at",
    "invited_by_id",
    "muted",
    "muted_by_moderator",
    "recording_opt_out",
    "removed",
    "connections",
    "present",
    "disconnected_at",
    "joined_at",
)


def _room_state(space_id: int) -> dict:
    space = Space.objects.values("state", "ended_at", "recording", "guest_listeners").get(pk=space_id)
    rows = Participant.objects.filter(space_id=space_id).order_by("user_id").values(*PARTICIPANT_FIELDS)
    return {"space": space, "participants": {row["user_id"]: row for row in rows}}


async def room_state(space_id: int) -> dict:
    """Everything about the space that a room message could change."""
    return await database_sync_to_async(_room_state)(space_id)


async def participant(space_id: int, user) -> Participant:
    return await database_sync_to_async(Participant.objects.get)(space_id=space_id, user_id=user.pk)


async def space_row(space_id: int) -> Space:
    return await database_sync_to_async(Space.objects.get)(pk=space_id)


async def update_participant(space_id: int, user, **fields) -> None:
    await database_sync_to_async(Participant.objects.filter(space_id=space_id, user_id=user.pk).update)(**fields)


@pytest.fixture(name="served")
async def served_fixture():
    """The site served by uvicorn for this test, stopped (its sockets dropped) when it ends."""
    served = Served()
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


@pytest.fixture(name="sockets")
async def sockets_fixture():
    """Room sockets opened in a test; every one is disconnected when it ends, pass or fail."""
    opened = Sockets()
    try:
        yield opened
    finally:
        await opened.close_all()
