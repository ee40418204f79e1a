"""The engine acts on the services' commands (rooms/media/commands.py), not on the room's
event stream: after every path that takes a speaker off the stage, their tone leaves the
program within one second, and media.leave is checked like every other message."""

import pytest
from channels.db import database_sync_to_async

from rooms.media import commands
from rooms.media.audio import SAMPLE_RATE
from rooms.media.engine import embedded_engine
from rooms.models import MediaNode, Space
from tests.audio import TONES, has_tone
from tests.media.engine_helpers import (  # noqa: F401  (stopped_engine_after is a fixture)
    audio_flowing,
    close_all,
    current_engine,
    end_space,
    full_segments_within,
    join,
    segment_audio,
    stopped_engine_after,
    until_full_segments_after,
    wait_until,
)
from tests.rooms.socket_helpers import sockets_fixture, space_row, update_participant  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

ONE_SECOND = SAMPLE_RATE


async def by_host(people, host, speaker):
    await host.socket.send("speaker.remove", user_id=people.speaker.pk, ref="down")
    await host.socket.expect_ack("down")


async def by_removal(people, host, speaker):
    await host.socket.send("participant.remove", user_id=people.speaker.pk, ref="out")
    await host.socket.expect_ack("out")


async def by_presence_expiry(people, host, speaker):
    """The speaker's socket goes away while their audio connection stays up (a page that
    crashed, a phone that lost only the socket): the hub's timer expires their presence when
    the grace runs out (0 s here), and the room hears of it only in a later batch."""
    await speaker.socket.disconnect()


async def by_media_leave(people, host, speaker):
    await speaker.socket.send("media.leave", ref="bye")
    await speaker.socket.expect_ack("bye")


@pytest.fixture
def no_grace(settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "PRESENCE_GRACE_SECONDS": 0}


@pytest.mark.parametrize("demote", [by_host, by_removal, by_presence_expiry, by_media_leave], ids=lambda f: f.__name__)
async def test_the_speakers_tone_leaves_the_program_within_a_second(people, sockets, no_grace, demote):
    space = people.space
    await update_participant(space.pk, people.host, muted=False)
    # connections=0: the persona has no other socket open than the one the test opens.
    await update_participant(space.pk, people.speaker, muted=False, connections=0)
    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(speaker := await join(sockets, people, "speaker", TONES["speaker"]))
        session = current_engine().sessions[space.pk]
        await audio_flowing(session, people.host, people.speaker)
        heard_from = session.sample
        await until_full_segments_after(session, heard_from)

        demoted_at = session.sample
        await demote(people, host, speaker)
        await wait_until(lambda: people.speaker.pk not in session.peers, what="the engine to drop the speaker")
        await until_full_segments_after(session, demoted_at + ONE_SECOND, count=2)
        ended_at = await end_space(host, session)
    finally:
        await close_all(speakers)

    before = full_segments_within(heard_from, demoted_at)
    after = full_segments_within(demoted_at + ONE_SECOND, ended_at)
    assert before and len(after) >= 2
    for seq in before:
        assert has_tone(segment_audio(space.pk, seq), TONES["speaker"]), f"segment {seq}: the speaker before"
    for seq in after:
        audio = segment_audio(space.pk, seq)
        assert has_tone(audio, TONES["host"]), f"segment {seq}: the host goes on"
        assert not has_tone(audio, TONES["speaker"]), f"segment {seq}: the speaker is still in the program"


async def test_media_leave_is_refused_to_a_guest(people, sockets):
    socket = await sockets.open(people.space.pk, people.guest, name="guest")

    await socket.send("media.leave", ref="bye")

    await socket.expect_error("login_required", ref="bye")
    assert embedded_engine() is None


@pytest.mark.parametrize("persona", ["host", "speaker", "listener"])
async def test_media_leave_of_a_space_that_is_no_longer_live_starts_no_engine(people, sockets, persona):
    socket = await sockets.open(people.space.pk, getattr(people, persona), name=persona)
    await database_sync_to_async(Space.objects.filter(pk=people.space.pk).update)(state=Space.State.ENDED)

    await socket.send("media.leave", ref="bye")

    await socket.expect_error("not_live", ref="bye")
    assert embedded_engine() is None
    assert not await database_sync_to_async(MediaNode.objects.exists)()
    assert (await space_row(people.space.pk)).media_node_id is None


@pytest.mark.parametrize("persona", ["host", "cohost", "speaker", "listener", "outsider"])
async def test_media_leave_is_answered_for_anyone_in_a_live_space(people, sockets, persona):
    socket = await sockets.open(people.space.pk, getattr(people, persona), name=persona)

    await socket.send("media.leave", ref="bye")

    await socket.expect_ack("bye")
    assert embedded_engine() is None  # nothing to drop: no engine is started for it


def test_commands_travel_as_plain_messages_and_back():
    for command in (commands.Mute(7, True), commands.Drop(7, "removed"), commands.End()):
        message = commands.to_message(3, command)
        assert message["type"] == "engine.command" and message["space_id"] == 3
        assert commands.from_message(message) == command
