"""Frames the consumer must refuse: each gets an `error`, changes nothing and (but for an
oversized frame, which closes the socket) leaves the socket answering pings."""

import json

import pytest
from django.conf import settings

from rooms.consumers import CLOSE_TOO_BIG
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    marker,
    participant,
    read_to_marker,
    room_state,
    sockets_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Message types whose `user_id` is required, and those where it is optional.
NEEDS_USER_ID = (
    "speaker.add",
    "speaker.invite",
    "speaker.remove",
    "cohost.add",
    "cohost.remove",
    "mute.allow",
    "participant.remove",
)
MAY_HAVE_USER_ID = ("hand.lower", "mute")


async def refused(socket, code: str, ref=None) -> dict:
    """The error came, nothing changed in the room, and the socket still answers."""
    error = await socket.expect_error(code, ref=ref)
    await socket.ping()
    assert socket.close_code is None
    return error


@pytest.fixture
async def host(people, sockets):
    return await sockets.open(people.space.pk, people.host)


async def test_it_refuses_malformed_json(people, host):
    before = await room_state(people.space.pk)
    await host.send_text('{"type": "mute.all", ')
    await refused(host, "bad_json")
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize(
    "text", ["[" * 5000, '{"a":' * 2500, "[" * 3000 + "]" * 3000], ids=["arrays", "objects", "closed-arrays"]
)
async def test_it_refuses_json_nested_too_deep(people, host, text):
    """Small enough to pass the size limit, deep enough to exhaust the parser's recursion."""
    before = await room_state(people.space.pk)
    await host.send_text(text)
    await refused(host, "bad_json")
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize("text", ["[]", '["mute.all"]', '"mute.all"', "42", "null", "true"])
async def test_it_refuses_json_that_is_not_an_object(people, host, text):
    before = await room_state(people.space.pk)
    await host.send_text(text)
    await refused(host, "bad_message")
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize("message", [{}, {"user_id": 1}, {"type": None}, {"type": 5}, {"type": ["mute.all"]}])
async def test_it_refuses_a_message_without_a_string_type(people, host, message):
    before = await room_state(people.space.pk)
    await host.send_text(json.dumps({**message, "ref": "r"}))
    await refused(host, "bad_message")  # the type is checked before the ref is read
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize(
    "type_", ["space.start", "hand.wave", "MUTE.ALL", "", "x" * 500], ids=["start", "wave", "caps", "empty", "long"]
)
async def test_it_refuses_an_unknown_type(people, host, type_):
    before = await room_state(people.space.pk)
    await host.send(type_, ref="u")
    error = await refused(host, "unknown_type", ref="u")
    assert len(error["message"]) < 100  # the echoed type is cut short
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize("type_", NEEDS_USER_ID)
async def test_it_refuses_a_missing_user_id(people, host, type_):
    before = await room_state(people.space.pk)
    await host.send(type_, ref="m")
    await refused(host, "bad_field", ref="m")
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize("value", ["4", 4.0, True, None, [4], {"id": 4}])
@pytest.mark.parametrize("type_", NEEDS_USER_ID + MAY_HAVE_USER_ID)
async def test_it_refuses_a_user_id_that_is_not_a_whole_number(people, host, type_, value):
    before = await room_state(people.space.pk)
    await host.send(type_, user_id=value, ref="w")
    await refused(host, "bad_field", ref="w")
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize("user_id", [0, -1, 999_999, 2**63 - 1, -(2**63)])
async def test_it_answers_not_found_for_a_user_id_of_nobody(people, host, user_id):
    before = await room_state(people.space.pk)
    await host.send("speaker.invite", user_id=user_id, ref="n")
    await refused(host, "not_found", ref="n")
    assert await room_state(people.space.pk) == before


@pytest.mark.parametrize("user_id", [2**63, 2**70, -(2**63) - 1, 10**40])
@pytest.mark.parametrize("type_", NEEDS_USER_ID + MAY_HAVE_USER_ID)
async def test_it_refuses_a_user_id_too_big_for_the_database(people, host, type_, user_id):
    """Such a number used to reach the query and crash the socket, leaving its connection counted."""
    before = await room_state(people.space.pk)
    await host.send(type_, user_id=user_id, ref="big")
    await refused(host, "bad_field", ref="big")
    assert await room_state(people.space.pk) == before


async def test_it_ignores_a_ref_that_is_neither_string_nor_integer(people, host):
    await host.send("ping", ref={"nested": 1})
    await host.send("ping", ref=[1])
    await host.send("ping", ref="last")
    got = await host.until(lambda m: m["type"] == "ack")
    assert [m["type"] for m in got if m["type"] != "batch"] == ["pong", "pong", "pong", "ack"]
    assert got[-1] == {"type": "ack", "ref": "last"}


async def test_it_refuses_a_binary_frame(people, host):
    before = await room_state(people.space.pk)
    await host.send_bytes(json.dumps({"type": "mute.all"}).encode())
    await refused(host, "binary_frame")
    assert await room_state(people.space.pk) == before


async def test_it_closes_the_socket_on_an_oversized_frame(people, sockets, host):
    limit = settings.ROUNDTABLE["MAX_FRAME_BYTES"]
    watcher = await sockets.open(people.space.pk, people.cohost, name="cohost")
    before = await room_state(people.space.pk)

    await host.send("mute.all", pad="x" * limit)

    await host.expect_error("too_large")
    assert await host.wait_closed() == CLOSE_TOO_BIG
    assert await room_state(people.space.pk) == before  # mute.all did not happen
    await watcher.ping()


async def test_it_measures_the_frame_limit_in_bytes_not_characters(people, host):
    limit = settings.ROUNDTABLE["MAX_FRAME_BYTES"]
    # Fewer characters than the limit, more bytes: "é" is two bytes in UTF-8.
    text = json.dumps({"type": "ping", "pad": "é" * (limit // 2)}, ensure_ascii=False)
    assert len(text) < limit < len(text.encode())

    await host.send_text(text)

    await host.expect_error("too_large")
    assert await host.wait_closed() == CLOSE_TOO_BIG


async def test_it_accepts_a_frame_of_exactly_the_limit(people, host):
    limit = settings.ROUNDTABLE["MAX_FRAME_BYTES"]
    head = '{"type": "ping", "pad": "'
    text = head + "x" * (limit - len(head) - 2) + '"}'
    assert len(text.encode()) == limit

    await host.send_text(text)

    assert await host.expect("pong") == {"type": "pong"}
    await host.ping()


@pytest.mark.parametrize("emoji", ["🍕", "", ":clap:", None, 1, ["🔥"]])
async def test_it_refuses_an_unknown_reaction(people, sockets, emoji):
    listener = await sockets.open(people.space.pk, people.listener)
    watcher = await sockets.open(people.space.pk, people.cohost, name="cohost")

    await listener.send("reaction", emoji=emoji, ref="e")
    await refused(listener, "bad_field", ref="e")

    await listener.send("reaction", emoji="👏", ref="ok")  # a good one afterwards, as a fence
    await listener.expect_ack("ok")
    batch = await watcher.wait_for(lambda m: m["type"] == "batch" and m["reactions"])
    assert batch["reactions"] == {"👏": 1}


async def test_it_refuses_a_reaction_without_emoji(people, sockets):
    listener = await sockets.open(people.space.pk, people.listener)
    await listener.send("reaction", ref="e")
    await refused(listener, "bad_field", ref="e")


async def test_it_rate_limits_reactions_after_the_burst(people, sockets):
    burst = settings.ROUNDTABLE["REACTIONS_PER_SECOND"] * 2
    listener = await sockets.open(people.space.pk, people.listener)
    watcher = await sockets.open(people.space.pk, people.cohost, name="cohost")
    sent = burst * 3

    for n in range(sent):
        await listener.send("reaction", emoji="❤️", ref=n)
    answers = [await listener.wait_for(lambda m, n=n: m.get("ref") == n) for n in range(sent)]

    accepted = [a for a in answers if a["type"] == "ack"]
    limited = [a for a in answers if a["type"] == "error"]
    assert {a["code"] for a in limited} == {"rate_limited"}
    # The whole burst passes; after it, at most the trickle refilled while sending.
    assert burst <= len(accepted) < sent
    assert answers[:burst] == [{"type": "ack", "ref": n} for n in range(burst)]
    assert answers[burst]["type"] == "error" or answers[burst + 1]["type"] == "error"

    # Only the accepted reactions reach the room.
    counted = 0
    while counted < len(accepted):
        batch = await watcher.wait_for(lambda m: m["type"] == "batch" and m["reactions"])
        counted += batch["reactions"]["❤️"]
    assert counted == len(accepted)
    await marker(people.space.pk)
    later = [m for m in await read_to_marker(watcher) if m["type"] == "batch" and m["reactions"]]
    assert later == []
    await listener.ping()


async def test_it_rate_limits_hand_raises(people, sockets):
    """Three raises pass at once (the rest refill at HAND_RAISES_PER_MINUTE); lowering is free."""
    listener = await sockets.open(people.space.pk, people.listener)
    host = await sockets.open(people.space.pk, people.host)
    for n in range(3):
        await listener.send("hand.raise", ref=f"up{n}")
        await listener.expect_ack(f"up{n}")
        await listener.send("hand.lower", ref=f"down{n}")
        await listener.expect_ack(f"down{n}")
    before = await room_state(people.space.pk)

    await listener.send("hand.raise", ref="up3")

    await refused(listener, "rate_limited", ref="up3")
    assert await room_state(people.space.pk) == before
    assert (await participant(people.space.pk, people.listener)).hand_raised_at is None
    await marker(people.space.pk)
    updates = [m for m in await read_to_marker(host) if m["type"] == "participant.updated"]
    assert [bool(m["participant"]["hand_raised_at"]) for m in updates] == [True, False] * 3


async def test_it_keeps_rate_limits_per_socket(people, sockets):
    tab_one = await sockets.open(people.space.pk, people.listener, name="tab-1")
    tab_two = await sockets.open(people.space.pk, people.listener, name="tab-2")
    for n in range(3):
        await tab_one.send("hand.lower", ref=f"d{n}")
        await tab_one.send("hand.raise", ref=n)
        await tab_one.expect_ack(n)
    await tab_one.send("hand.raise", ref="over")
    await tab_one.expect_error("rate_limited", ref="over")

    await tab_two.send("hand.raise", ref="fresh")
    await tab_two.expect_ack("fresh")


@pytest.mark.parametrize("sdp", [None, "", "o=- 0 0 IN IP4 127.0.0.1", 42, ["v=0"]])
async def test_it_refuses_a_media_offer_that_is_not_sdp(people, sockets, sdp):
    speaker = await sockets.open(people.space.pk, people.speaker)
    before = await room_state(people.space.pk)
    await speaker.send("media.offer", sdp=sdp, ref="sdp")
    await refused(speaker, "bad_sdp", ref="sdp")
    assert await room_state(people.space.pk) == before
