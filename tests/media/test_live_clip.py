"""A live clip of an unrecorded space through the real engine: two tone speakers over WebRTC,
a listener clips the last seconds, the speaker who is heard gets the prompt on their socket,
and the clip's file holds exactly the voices that said yes, re-made when one changes."""

import pytest
from channels.db import database_sync_to_async

from clips import services
from clips.models import Clip, Voice
from clips.tasks import render_clip
from rooms.models import Participant
from tests.audio import TONES, band_peak
from tests.clips.conftest import decoded
from tests.media.engine_helpers import (  # noqa: F401  (stopped_engine_after is a fixture)
    audio_flowing,
    clock_past,
    close_all,
    current_engine,
    end_space,
    join,
    stopped_engine_after,
    wait_until,
)
from tests.rooms.socket_helpers import sockets_fixture, update_participant  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def voices_in(name: str) -> set[str]:
    pcm = decoded(name)
    return {who for who in ("host", "speaker") if band_peak(pcm, TONES[who]) > 0.1}


@database_sync_to_async
def clip_now(user, space_id):
    return services.do_clip_live(user, space_id, "That moment", "")


@database_sync_to_async
def answer(user, clip_id, value):
    voice = Voice.objects.get(clip_id=clip_id, speaker=user)
    return services.do_answer(user, voice.pk, value)


@database_sync_to_async
def render_queued(clip_id):
    return render_clip(clip_id)


@database_sync_to_async
def clip_row(clip_id):
    return Clip.objects.get(pk=clip_id)


async def test_a_live_clip_of_an_unrecorded_space_holds_only_the_voices_that_said_yes(people, sockets, monkeypatch):
    space = people.space
    assert not space.record
    await update_participant(space.pk, people.host, muted=False)
    await update_participant(space.pk, people.speaker, muted=False, connections=0)
    await database_sync_to_async(Participant.objects.filter(space=space, user=people.listener).update)(present=True)
    queued = []
    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(speaker := await join(sockets, people, "speaker", TONES["speaker"]))
        session = current_engine().sessions[space.pk]
        await audio_flowing(session, people.host, people.speaker)
        await clock_past(session, session.sample + 3 * 48_000)

        monkeypatch.setattr("clips.services.jobs.queue", lambda name, *args, **kw: queued.append((name, *args)))
        clip = await clip_now(people.listener, space.pk)
        assert clip.state == Clip.State.COLLECTING and clip.source == Clip.Source.LIVE
        assert clip.ranges[0][0] == 0  # the space has been live less than 30 s: what exists
        # The engine stores the clip's last seconds (2 s chunks here), then the clip asks.
        await wait_until(
            lambda: services.do_collect(clip.pk), timeout=20, what="the clip's audio to be stored", in_thread=True
        )
        prompt = await speaker.socket.wait_type("clip.request", timeout=10)
        assert prompt["request"]["clip"] == clip.pk and prompt["request"]["by"] == people.listener.username
        voices = await database_sync_to_async(
            lambda: dict(Clip.objects.get(pk=clip.pk).voices.values_list("speaker_id", "answer"))
        )()
        assert voices == {people.host.pk: "pending", people.speaker.pk: "pending"}

        await answer(people.host, clip.pk, "yes")
        await answer(people.speaker, clip.pk, "no")
        await database_sync_to_async(services.do_share_without_declined)(people.listener, clip.pk)
        assert await render_queued(clip.pk) == "ready"
        first = await clip_row(clip.pk)
        assert voices_in(first.m4a) == {"host"}

        # The speaker changes their mind: re-made with both voices, under a new name.
        await answer(people.speaker, clip.pk, "yes")
        assert await render_queued(clip.pk) == "ready"
        second = await clip_row(clip.pk)
        assert second.m4a != first.m4a and voices_in(second.m4a) == {"host", "speaker"}
        await end_space(host, session)
    finally:
        await close_all(speakers)
