"""Text no server can send, and clients that fail: a lone surrogate in a message is refused at
the edge, the server's own text always encodes, a fault while handling one message answers an
error, and whatever kills a socket its disconnect still returns presence and counts to the truth.

Most tests go through uvicorn (the `served` fixture) because the in-memory communicator
neither encodes text to UTF-8 nor reports a client that has gone, which is where this breaks.
"""

import json
import logging

import pytest
from channels.db import database_sync_to_async

from rooms import tasks
from rooms.consumers import CLOSE_SERVER_ERROR
from rooms.events import encode
from rooms.hub import get_hub
from rooms.models import Participant, Space
from rooms.services import stage
from rooms.services.presence import do_sweep_presence
from rooms.services.snapshot import listener_count
from tests.factories import SpaceFactory, UserFactory
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    Droppable,
    marker,
    participant,
    read_to_marker,
    room_state,
    served_fixture,
    sockets_fixture,
    space_row,
)

pytestmark = pytest.mark.django_db(transaction=True)

# What a client's JSON.stringify makes of a string holding half of a surrogate pair.
LONE_IN_REF = '{"type":"ping","ref":"\\ud800"}'
CROWD = 50


@pytest.fixture
def quick_ends(settings):
    """No presence grace and no wait before an empty space ends: the jobs act on the spot."""
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "PRESENCE_GRACE_SECONDS": 0, "EMPTY_SPACE_MINUTES": 0}


def faults(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def refused_as_bad_text(socket) -> None:
    error = await socket.expect_error("bad_text")
    assert "surrogate" in error["message"]
    await socket.ping()


def _counts(space_id: int) -> dict:
    space = Space.objects.get(pk=space_id)
    rows = Participant.objects.filter(space_id=space_id)
    return {
        "listeners": listener_count(space),
        "guests": space.guest_listeners,
        "connections": sum(rows.values_list("connections", flat=True)),
    }


# --- the edge: text in ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        LONE_IN_REF,
        '{"type":"reaction","emoji":"\\udc00","ref":"r"}',
        '{"type":"\\ud83d"}',
        '{"type":"ping","\\udfff":1}',
        '{"type":"ping","pad":["ok",{"deep":"x\\ud800y"}]}',
        '{"type":"ping","ref":"\\ude00\\ud83d"}',
    ],
    ids=["ref", "field", "type", "key", "nested", "reversed-pair"],
)
async def test_it_refuses_text_with_a_lone_surrogate(people, served, text):
    listener = await served.open(people.space.pk, people.listener)
    before = await room_state(people.space.pk)

    await listener.send_text(text)

    await refused_as_bad_text(listener)
    assert await room_state(people.space.pk) == before


async def test_it_accepts_a_whole_surrogate_pair(people, served):
    listener = await served.open(people.space.pk, people.listener)
    await listener.send_text('{"type":"ping","ref":"\\ud83d\\ude00"}')
    assert await listener.expect_ack("😀")


async def test_it_refuses_a_lone_surrogate_the_server_was_handed_raw(people, sockets):
    """A server that passed undecodable text through (the communicator does) is refused too."""
    listener = await sockets.open(people.space.pk, people.listener)
    await listener.send_text('{"type":"ping","ref":"\ud800"}')
    await refused_as_bad_text(listener)


# --- the edge: text out --------------------------------------------------------------------
@pytest.mark.parametrize("value", ["\ud800", "a\udfffb", "😀\ud83d", "\udc00😀"])
def test_it_encodes_any_event_as_text_a_server_can_send(value):
    event = {"type": "test.event", "name": value, value: [value]}
    text = encode(event)
    text.encode()  # raises UnicodeEncodeError for a lone surrogate
    assert json.loads(text) == event


def test_it_keeps_utf8_text_unescaped():
    assert encode({"type": "batch", "reactions": {"👏": 1}}) == '{"type":"batch","reactions":{"👏":1}}'


# --- a fault while handling one message ----------------------------------------------------
async def test_it_answers_an_error_when_a_handler_fails(people, sockets, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("a bug in a service")

    monkeypatch.setattr(stage, "do_raise_hand", broken)
    outsider = await sockets.open(people.space.pk, people.outsider)
    before = await room_state(people.space.pk)

    await outsider.send("hand.raise", ref="h")

    error = await outsider.expect_error("server_error", ref="h")
    assert "a bug" not in error["message"]  # the details stay in the server's log
    await outsider.ping()
    assert await room_state(people.space.pk) == before
    assert [r.getMessage() for r in faults(caplog)] == [f"room message 'hand.raise' failed in space {people.space.pk}"]

    await outsider.disconnect()
    assert (await participant(people.space.pk, people.outsider)).connections == 0


async def test_it_closes_and_cleans_up_when_connect_fails_after_joining(people, served, monkeypatch, caplog):
    """A fault after the socket was counted (here: building the snapshot) answers an error,
    closes with 1011 so the client reconnects, and still uncounts the socket."""

    def broken(*args):
        raise RuntimeError("a bug in the snapshot")

    monkeypatch.setattr("rooms.consumers.room_snapshot", broken)
    outsider = await served.open(people.space.pk, people.outsider, snapshot=False)

    await outsider.expect_error("server_error")
    assert await outsider.wait_closed() == CLOSE_SERVER_ERROR
    await served.finished([outsider])
    assert (await participant(people.space.pk, people.outsider)).connections == 0
    assert len(faults(caplog)) == 1


# --- the client went away while the server wrote -------------------------------------------
async def test_it_cleans_up_a_socket_whose_client_went_away_during_a_reply(people, sockets, caplog):
    app = Droppable()
    outsider = await sockets.open(people.space.pk, people.outsider, app=app)

    app.drop()
    await outsider.send("ping", ref="gone")  # its pong and ack meet a closed connection
    await outsider.disconnect()

    assert (await participant(people.space.pk, people.outsider)).connections == 0
    assert faults(caplog) == []


async def test_it_does_not_log_a_traceback_for_a_client_gone_during_a_broadcast(people, sockets, caplog):
    app = Droppable()
    gone = await sockets.open(people.space.pk, people.outsider, app=app)
    watcher = await sockets.open(people.space.pk, people.cohost, name="cohost")

    app.drop()
    await marker(people.space.pk, "one")
    await marker(people.space.pk, "two")  # the hub takes one event at a time: "one" reached all
    await read_to_marker(watcher, "two")

    assert faults(caplog) == []
    await gone.disconnect()
    assert (await participant(people.space.pk, people.outsider)).connections == 0


async def test_it_logs_a_socket_that_fails_a_write_once_not_at_every_event(people, sockets, caplog):
    broken = await sockets.open(people.space.pk, people.outsider)
    watcher = await sockets.open(people.space.pk, people.cohost, name="cohost")
    (consumer,) = get_hub().by_user[(people.space.pk, people.outsider.pk)]

    async def fails(text, event):
        raise RuntimeError("a bug in a socket")

    consumer.push = fails
    for tag in ("one", "two", "three"):
        await marker(people.space.pk, tag)
    await read_to_marker(watcher, "three")

    assert [r.name for r in faults(caplog)] == ["rooms.hub"]
    await broken.disconnect()
    assert (await participant(people.space.pk, people.outsider)).connections == 0


# --- fifty bad clients through uvicorn -----------------------------------------------------
async def test_it_returns_to_the_truth_after_fifty_clients_send_bad_text(served, quick_ends, caplog):
    space = await database_sync_to_async(SpaceFactory)()
    users = await database_sync_to_async(UserFactory.create_batch)(CROWD // 2)
    witness = await served.open(space.pk, name="witness")
    crowd = [await served.open(space.pk, user) for user in users]
    crowd += [await served.open(space.pk, name=f"guest-{n}") for n in range(CROWD - len(users))]
    assert await database_sync_to_async(_counts)(space.pk) == {"listeners": 51, "guests": 26, "connections": 25}

    # Half read their error; the other half vanish at once, so the answer meets a dead connection.
    waiting, vanishing = crowd[::2], crowd[1::2]
    for socket in crowd:
        await socket.send_text(LONE_IN_REF)
    for socket in vanishing:
        socket.communicator.abort()
    for socket in waiting:
        await refused_as_bad_text(socket)
        await socket.disconnect()
    await served.finished(crowd)

    counts = await database_sync_to_async(_counts)(space.pk)
    assert (counts["guests"], counts["connections"]) == (1, 0)  # presence waits for its grace
    await marker(space.pk, "one")
    await marker(space.pk, "two")
    await read_to_marker(witness, "two")

    await witness.disconnect()
    await served.finished([witness])
    await database_sync_to_async(do_sweep_presence)()
    assert await database_sync_to_async(_counts)(space.pk) == {"listeners": 0, "guests": 0, "connections": 0}
    assert await database_sync_to_async(tasks.end_empty_space)(space.pk) is True
    assert (await space_row(space.pk)).state == Space.State.ENDED
    assert faults(caplog) == []
