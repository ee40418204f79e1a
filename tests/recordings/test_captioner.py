"""The live captioner driven directly: utterances as the engine hands them over (espeak speech,
48 kHz int16), captions read from the space's group as the room's sockets would get them.

Nothing arriving is proved by order, never by waiting: the captioner takes utterances one at
a time, so once the caption of a later utterance has arrived, an earlier one's would have."""

import asyncio
import json
import logging
import time

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from recordings.captioner import Captioner
from rooms.events import space_group
from rooms.media.captions import CAPTIONER_CHANNEL, UTTERANCE, utterance_message
from rooms.media.utterances import Utterance
from rooms.models import Space
from tests.factories import SpaceFactory, UserFactory
from tests.speech import needs_espeak, say, silence

pytestmark = [pytest.mark.django_db(transaction=True), needs_espeak]

RELEASE = "We will release the new version next week."
BUDGET = "We need a bigger budget for the garden."


@database_sync_to_async
def a_space(**fields) -> Space:
    return SpaceFactory(**{"captions": True, **fields})


@database_sync_to_async
def a_speaker(username: str, first_name: str = ""):
    return UserFactory(username=username, first_name=first_name)


def utterance(space_id: int, user_id: int, samples: np.ndarray, *, start: int = 48_000, age: float = 0.0) -> dict:
    return utterance_message(space_id, user_id, Utterance(start, samples), time.time() - age)


class Room:
    """A channel in the groups of some spaces: what their sockets would be sent, in order."""

    def __init__(self):
        self.layer = get_channel_layer()
        self.channel = None

    async def listen(self, *spaces: Space) -> "Room":
        self.channel = self.channel or await self.layer.new_channel()
        for space in spaces:
            await self.layer.group_add(space_group(space.pk), self.channel)
        return self

    async def next(self, timeout: float = 60) -> tuple[int, dict]:
        message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
        return message["space_id"], json.loads(message["text"])


@pytest.fixture
async def captioner():
    running = Captioner()
    yield running
    await running.stop()


async def hand_over(*messages: dict) -> None:
    for message in messages:
        await get_channel_layer().send(CAPTIONER_CHANNEL, message)


async def test_it_captions_an_utterance_with_the_speakers_name_and_place_on_the_clock(captioner):
    space = await a_space()
    sam = await a_speaker("sam", "Sam Rivers")
    room = await Room().listen(space)
    await captioner.start()

    said = say(RELEASE)
    await hand_over(utterance(space.pk, sam.pk, said, start=96_000))

    space_id, event = await room.next()
    assert space_id == space.pk
    assert event["type"] == "caption"
    assert event["user_id"] == sam.pk and event["name"] == "Sam Rivers"
    assert event["start_ms"] == 2000 and event["end_ms"] == 2000 + len(said) * 1000 // 48_000
    assert "release" in event["text"].lower() and "version" in event["text"].lower()


async def test_it_captions_only_live_spaces_with_captions_on(captioner):
    on = await a_space()
    off = await a_space(captions=False)
    ended = await a_space(state=Space.State.ENDED)
    sam = await a_speaker("sam")
    room = await Room().listen(on, off, ended)
    await captioner.start()

    said = say(RELEASE)
    await hand_over(utterance(off.pk, sam.pk, said), utterance(ended.pk, sam.pk, said), utterance(on.pk, sam.pk, said))

    space_id, event = await room.next()
    assert (space_id, event["type"]) == (on.pk, "caption"), "a space without live captions was captioned"
    assert event["name"] == "sam"


async def test_silence_sends_nothing(captioner):
    space = await a_space()
    sam = await a_speaker("sam")
    room = await Room().listen(space)
    await captioner.start()

    noise = (np.random.default_rng(3).standard_normal(48_000) * 30).astype(np.int16)
    await hand_over(utterance(space.pk, sam.pk, silence(1.0)), utterance(space.pk, sam.pk, noise))
    await hand_over(utterance(space.pk, sam.pk, say(BUDGET)))

    _, event = await room.next()
    assert event["type"] == "caption" and "budget" in event["text"].lower()


async def test_it_drops_utterances_older_than_the_max_lag_and_tells_the_room_once(captioner, settings):
    settings.TRANSCRIBE = {**settings.TRANSCRIBE, "CAPTION_MAX_LAG_SECONDS": 4}
    space = await a_space()
    sam = await a_speaker("sam")
    room = await Room().listen(space)
    # All four wait before the captioner starts, as they would behind a slow recognition.
    said = say(RELEASE)
    for age in (30, 10, 5):
        await captioner.receive(utterance(space.pk, sam.pk, said, age=age))
    await captioner.receive(utterance(space.pk, sam.pk, say(BUDGET)))
    await captioner.start()

    _, behind = await room.next()
    assert behind == {"type": "captions_behind", "dropped": 3}
    _, event = await room.next()
    assert event["type"] == "caption" and "budget" in event["text"].lower()
    assert (captioner.dropped, captioner.captioned) == (3, 1)

    # Falling behind again soon after: dropped quietly, the room was just told.
    await captioner.receive(utterance(space.pk, sam.pk, said, age=10))
    await captioner.receive(utterance(space.pk, sam.pk, say(BUDGET)))
    _, event = await room.next()
    assert event["type"] == "caption"
    assert captioner.dropped == 4


@pytest.mark.parametrize(
    "change",
    [
        {"audio": None},
        {"audio": "not bytes"},
        {"audio": b"\x01\x02\x03"},  # half a sample
        {"audio": bytes(31 * 48_000 * 2)},  # longer than any utterance
        {"space_id": "7"},
        {"user_id": -1},
        {"start_ms": True},
        {"end_ms": 0, "start_ms": 5},
        {"closed_at": "yesterday"},
        {"type": "caption.nonsense"},
    ],
    ids=lambda change: ",".join(change),
)
async def test_a_malformed_message_is_logged_and_ignored_and_the_captioner_keeps_serving(captioner, caplog, change):
    space = await a_space()
    sam = await a_speaker("sam")
    room = await Room().listen(space)
    await captioner.start()
    good = utterance(space.pk, sam.pk, say(RELEASE))
    bad = {**good, **change}
    assert bad["type"] in (UTTERANCE, "caption.nonsense")

    with caplog.at_level(logging.WARNING, logger="recordings.captioner"):
        await hand_over(bad, {"type": UTTERANCE}, good)
        _, event = await room.next()

    assert event["type"] == "caption" and "release" in event["text"].lower()
    assert captioner.captioned == 1
    warnings = [r for r in caplog.records if r.name == "recordings.captioner" and r.levelno == logging.WARNING]
    assert len(warnings) == 2, [r.getMessage() for r in warnings]
