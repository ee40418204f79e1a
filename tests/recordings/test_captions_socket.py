"""Live captions over the room socket: whoever may listen to a live space gets its captions
(guests and HLS listeners included: every room page has the socket), and nobody after the end.

The captioner runs for real (espeak speech, the bundled model); the utterance is handed over
as the engine would hand it."""

import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from recordings.captioner import Captioner
from rooms.media.captions import CAPTIONER_CHANNEL, utterance_message
from rooms.media.utterances import Utterance
from rooms.models import Space
from rooms.services.spaces import do_end_space
from tests.factories import SpaceFactory
from tests.rooms.socket_helpers import marker, read_to_marker, sockets_fixture  # noqa: F401
from tests.speech import needs_espeak, say

pytestmark = [pytest.mark.django_db(transaction=True), needs_espeak]

SENTENCE = "Please send the report before lunch."
# Everyone who can open the room socket of a live space; a removed user cannot (see
# tests/rooms/test_consumer_connect.py), so there is no socket to send them anything.
LISTENERS = ("host", "cohost", "speaker", "listener", "raised", "outsider", "staff", "guest")


@pytest.fixture
async def captioner():
    running = Captioner()
    await running.start()
    yield running
    await running.stop()


async def hand_over(space_id: int, user_id: int, text: str = SENTENCE) -> None:
    message = utterance_message(space_id, user_id, Utterance(48_000, say(text)), time.time())
    await get_channel_layer().send(CAPTIONER_CHANNEL, message)


async def captions_on(space) -> None:
    await database_sync_to_async(Space.objects.filter(pk=space.pk).update)(captions=True)


@pytest.mark.parametrize("name", LISTENERS)
async def test_everyone_who_may_listen_gets_the_caption(people, sockets, captioner, name):
    await captions_on(people.space)
    socket = await sockets.open(people.space.pk, getattr(people, name), name=name)

    await hand_over(people.space.pk, people.speaker.pk)

    caption = await socket.wait_type("caption", timeout=60)
    assert caption["user_id"] == people.speaker.pk and caption["name"] == "sam"
    assert "report" in caption["text"].lower()


async def test_captions_go_to_their_own_space_only(people, sockets, captioner):
    await captions_on(people.space)
    other = await database_sync_to_async(SpaceFactory)(captions=True)
    here = await sockets.open(people.space.pk, people.listener, name="here")
    there = await sockets.open(other.pk, people.outsider, name="there")

    await hand_over(people.space.pk, people.speaker.pk)
    await here.wait_type("caption", timeout=60)

    await marker(other.pk)
    assert "caption" not in [m["type"] for m in await read_to_marker(there)]


async def test_nobody_gets_a_caption_after_the_end(people, sockets, captioner):
    await captions_on(people.space)
    listener = await sockets.open(people.space.pk, people.listener, name="listener")
    await database_sync_to_async(do_end_space)(people.host, people.space.pk)
    await listener.wait_type("space.ended")

    # The engine flushes what a speaker was saying as the session closes: too late to show.
    later = await database_sync_to_async(SpaceFactory)(captions=True)
    watcher = await sockets.open(later.pk, people.outsider, name="watcher")
    await hand_over(people.space.pk, people.speaker.pk)
    await hand_over(later.pk, later.host_id, "We need a bigger budget for the garden.")
    await watcher.wait_type("caption", timeout=60)  # the captioner has passed the first one

    assert captioner.captioned == 1
    assert "caption" not in [m["type"] for m in listener.seen]
