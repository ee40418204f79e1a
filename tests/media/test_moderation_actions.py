"""A moderator's live actions reach the engine the way a host's do: after a staff mute,
removal or suspension of a reported speaker, their tone is out of every program segment from
one second on, while the host's goes on; each action writes its audit row."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group

from moderation import services
from moderation.models import AuditEntry, Report
from rooms.media.audio import SAMPLE_RATE
from tests.audio import TONES, has_tone
from tests.factories import UserFactory
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
from tests.rooms.socket_helpers import sockets_fixture, update_participant  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

ONE_SECOND = SAMPLE_RATE


@database_sync_to_async
def file_report(people) -> tuple:
    moderator = UserFactory(username="mona", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    report = Report.objects.create(
        reporter=people.listener,
        kind=Report.Kind.SPEAKER,
        category=Report.Category.HARASSMENT,
        space=people.space,
        reported_user=people.speaker,
        during_space=True,
    )
    return moderator, report


def mute(moderator, report):
    services.do_mute_speaker(moderator, report.pk, "Shouting over everyone.")


def remove(moderator, report):
    services.do_remove_speaker(moderator, report.pk, "Harassing another speaker.")


def suspend(moderator, report):
    services.do_suspend_user(moderator, report.pk, "Harassment, again.", None)


@pytest.mark.parametrize(
    ("act", "action", "dropped"),
    [(mute, "mute_speaker", False), (remove, "remove_speaker", True), (suspend, "suspend_user", True)],
    ids=["mute", "remove", "suspend"],
)
async def test_the_reported_speakers_tone_leaves_the_program_within_a_second(people, sockets, act, action, dropped):
    space = people.space
    await update_participant(space.pk, people.host, muted=False)
    await update_participant(space.pk, people.speaker, muted=False, connections=0)
    moderator, report = await file_report(people)
    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(await join(sockets, people, "speaker", TONES["speaker"]))
        session = current_engine().sessions[space.pk]
        await audio_flowing(session, people.host, people.speaker)
        heard_from = session.sample
        await until_full_segments_after(session, heard_from)

        acted_at = session.sample
        await database_sync_to_async(act)(moderator, report)
        if dropped:
            await wait_until(lambda: people.speaker.pk not in session.peers, what="the engine to drop the speaker")
        await until_full_segments_after(session, acted_at + ONE_SECOND, count=2)
        ended_at = await end_space(host, session)
    finally:
        await close_all(speakers)

    before = full_segments_within(heard_from, acted_at)
    after = full_segments_within(acted_at + ONE_SECOND, ended_at)
    assert before and len(after) >= 2
    for seq in before:
        assert has_tone(segment_audio(space.pk, seq), TONES["speaker"]), f"segment {seq}: the speaker before"
    for seq in after:
        audio = segment_audio(space.pk, seq)
        assert has_tone(audio, TONES["host"]), f"segment {seq}: the host goes on"
        assert not has_tone(audio, TONES["speaker"]), f"segment {seq}: the speaker is still in the program"
    entries = await database_sync_to_async(list)(AuditEntry.objects.values_list("action", "subject_user_id"))
    assert entries == [(action, people.speaker.pk)]
