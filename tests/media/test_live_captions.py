"""Live captions end to end in one process: a speaker on real WebRTC (aiortc) says an espeak
sentence into the embedded engine, which cuts it out of their audio and hands it to the
in-process captioner; the room's sockets get the caption with the speaker's name."""

import numpy as np
import pytest
from channels.db import database_sync_to_async

from recordings.captioner import embedded_captioner
from rooms.media.audio import SAMPLE_RATE
from rooms.models import Space
from tests.audio import PcmTrack
from tests.media.engine_helpers import (  # noqa: F401  (stopped_engine_after is a fixture)
    audio_flowing,
    clock_past,
    close_all,
    current_engine,
    stopped_engine_after,
)
from tests.media.speakers import ToneSpeaker
from tests.rooms.socket_helpers import sockets_fixture, update_participant  # noqa: F401
from tests.speech import needs_espeak, say, silence

pytestmark = [pytest.mark.django_db(transaction=True), needs_espeak]

SENTENCE = "We will release the new version next week."


async def set_captions(space, on: bool) -> None:
    await database_sync_to_async(Space.objects.filter(pk=space.pk).update)(captions=on)


async def speak(sockets, people, name: str, samples: np.ndarray) -> ToneSpeaker:
    user = getattr(people, name)
    await update_participant(people.space.pk, user, muted=False)
    socket = await sockets.open(people.space.pk, user, name=name)
    speaker = ToneSpeaker(socket, 0, track=PcmTrack(samples))
    await speaker.join()
    return speaker


async def test_a_speakers_words_reach_the_room_as_a_caption_with_their_name(people, sockets):
    space = people.space
    await set_captions(space, True)
    await database_sync_to_async(type(people.speaker).objects.filter(pk=people.speaker.pk).update)(
        first_name="Sam Rivers"
    )
    listener = await sockets.open(space.pk, people.listener, name="listener")
    speakers = []
    try:
        # A second of quiet first: the connection settles before the sentence starts.
        speakers.append(speaker := await speak(sockets, people, "speaker", np.concatenate([silence(1), say(SENTENCE)])))
        caption = await listener.wait_type("caption", timeout=60)
        assert caption["user_id"] == people.speaker.pk and caption["name"] == "Sam Rivers"
        assert "release" in caption["text"].lower() and "version" in caption["text"].lower()
        # Where it sits on the space's clock: after the second of quiet, as long as the sentence.
        session = current_engine().sessions[space.pk]
        assert 0 <= caption["start_ms"] < caption["end_ms"] <= session.sample * 1000 // SAMPLE_RATE
        length_ms = len(say(SENTENCE)) * 1000 // SAMPLE_RATE
        assert abs((caption["end_ms"] - caption["start_ms"]) - length_ms) < 1000
        # The speaker sees it too: captions go to the whole room.
        assert (await speaker.socket.wait_type("caption", timeout=10))["text"] == caption["text"]
    finally:
        await close_all(speakers)


async def test_a_space_with_captions_off_hands_the_captioner_nothing(people, sockets):
    space = people.space
    assert not space.captions
    speakers = []
    try:
        speakers.append(await speak(sockets, people, "speaker", np.concatenate([silence(0.5), say(SENTENCE)])))
        session = current_engine().sessions[space.pk]
        await audio_flowing(session, people.speaker)
        # The sentence and the pause that would close it, on the engine's own clock.
        await clock_past(session, session.sample + len(say(SENTENCE)) + 2 * SAMPLE_RATE)
        host = await sockets.open(space.pk, people.host, name="host")
        await host.send("space.end")
        await host.wait_type("space.ended", timeout=5)
    finally:
        await close_all(speakers)
    assert session.captions is None, "a space without captions was cut into utterances"
    captioner = embedded_captioner()
    assert captioner is not None and captioner.received == 0
