"""Clips refused by a suspension or a block: a suspended account cannot clip; a voice whose
speaker blocked the clipper is a no from the start (never in the clip, never asked), and when
every voice heard blocked the clipper there is no clip."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clips import services
from clips.models import Clip, Voice
from rooms.errors import NotAllowed
from rooms.models import Block, Notification, Participant, Space, Suspension
from tests.clips.conftest import TONES
from tests.recordings.conftest import media_root, write_voice  # noqa: F401

pytestmark = pytest.mark.django_db


def suspend(user):
    Suspension.objects.create(user=user, until=timezone.now() + timedelta(days=1), reason="spam")


def blocks(blocker, blocked):
    Block.objects.create(blocker=blocker, blocked=blocked)


def clip_replay(replay, user, start=5000, end=15000):
    return services.do_clip_replay(user, replay.recording.pk, start, end, "", "")


# --- a replay -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["listener", "outsider", "speaker"])
def test_a_suspended_account_cannot_clip_a_replay(replay, persona):
    user = getattr(replay, persona)
    suspend(user)

    with pytest.raises(NotAllowed) as info:
        clip_replay(replay, user)

    assert info.value.code == "suspended"
    assert not Clip.objects.exists()


def test_a_voice_that_blocked_the_clipper_is_a_no_and_is_never_asked(replay, sent, django_capture_on_commit_callbacks):
    blocks(replay.speaker, replay.listener)

    with django_capture_on_commit_callbacks(execute=True):
        clip = clip_replay(replay, replay.listener)

    voice = clip.voices.get(speaker=replay.speaker)
    assert (voice.answer, voice.by_preference) == (Voice.Answer.NO, True)
    assert set(clip.voices.filter(answer=Voice.Answer.PENDING).values_list("speaker", flat=True)) == {
        replay.host.pk,
        replay.cohost.pk,
    }
    assert not Notification.objects.filter(user=replay.speaker).exists()
    assert all(to != replay.speaker.pk for _, _, to in sent)


def test_a_block_the_other_way_round_changes_nothing(replay):
    blocks(replay.listener, replay.speaker)

    clip = clip_replay(replay, replay.listener)

    assert clip.voices.get(speaker=replay.speaker).answer == Voice.Answer.PENDING


def test_it_refuses_a_clip_when_every_voice_heard_blocked_the_clipper(replay):
    # 21-29 s: only the speaker and the co-host talk.
    blocks(replay.speaker, replay.listener)
    blocks(replay.cohost, replay.listener)

    with pytest.raises(NotAllowed) as info:
        clip_replay(replay, replay.listener, 21000, 29000)

    assert info.value.code == "blocked"
    assert not Clip.objects.exists()
    assert not Voice.objects.exists()


def test_the_clippers_own_voice_keeps_the_clip(replay):
    blocks(replay.cohost, replay.speaker)

    clip = clip_replay(replay, replay.speaker, 21000, 29000)

    answers = {v.speaker_id: v.answer for v in clip.voices.all()}
    assert answers == {replay.speaker.pk: Voice.Answer.YES, replay.cohost.pk: Voice.Answer.NO}


# --- a live space -------------------------------------------------------------------------------------


@pytest.fixture
def live(people, media_root):  # noqa: F811
    """The space went live a minute ago; only the speaker has talked."""
    Space.objects.filter(pk=people.space.pk).update(started_at=timezone.now() - timedelta(seconds=60))
    Participant.objects.filter(space=people.space, user=people.host).update(present=True, connections=1)
    people.space.refresh_from_db()
    write_voice(people.space.pk, people.speaker.pk, TONES["speaker"], 0, 60)
    return people


@pytest.mark.parametrize("persona", ["host", "cohost", "speaker", "listener"])
def test_a_suspended_account_cannot_clip_a_live_space(live, queued, persona):
    user = getattr(live, persona)
    suspend(user)

    with pytest.raises(NotAllowed) as info:
        services.do_clip_live(user, live.space.pk)

    assert info.value.code == "suspended"
    assert not Clip.objects.exists()


def test_it_refuses_a_live_clip_when_everyone_on_stage_blocked_the_clipper(live, queued):
    for user in (live.host, live.cohost, live.speaker):
        blocks(user, live.listener)

    with pytest.raises(NotAllowed) as info:
        services.do_clip_live(live.listener, live.space.pk)

    assert info.value.code == "blocked"
    assert not Clip.objects.exists()
    assert queued == []


def test_a_live_clip_whose_every_voice_blocked_the_clipper_is_dropped_once_collected(
    live, queued, django_capture_on_commit_callbacks
):
    blocks(live.speaker, live.listener)  # the host and the co-host are on stage but silent
    with django_capture_on_commit_callbacks(execute=True):
        clip = services.do_clip_live(live.listener, live.space.pk)
    Clip.objects.filter(pk=clip.pk).update(created_at=timezone.now() - timedelta(minutes=1))

    assert services.do_collect(clip.pk)

    clip.refresh_from_db()
    assert clip.state == Clip.State.DROPPED
    assert "blocked you" in clip.takedown_reason
    assert not clip.voices.exists()
    assert not Notification.objects.filter(user=live.speaker).exists()
    assert Notification.objects.filter(user=live.listener, text__contains="was not made").exists()


def test_a_live_clip_asks_the_voices_that_did_not_block_the_clipper(live, queued, django_capture_on_commit_callbacks):
    write_voice(live.space.pk, live.cohost.pk, TONES["cohost"], 0, 60)
    blocks(live.speaker, live.listener)
    with django_capture_on_commit_callbacks(execute=True):
        clip = services.do_clip_live(live.listener, live.space.pk)
    Clip.objects.filter(pk=clip.pk).update(created_at=timezone.now() - timedelta(minutes=1))

    assert services.do_collect(clip.pk)

    answers = {v.speaker_id: (v.answer, v.by_preference) for v in Clip.objects.get(pk=clip.pk).voices.all()}
    assert answers == {live.speaker.pk: (Voice.Answer.NO, True), live.cohost.pk: (Voice.Answer.PENDING, False)}
    assert not Notification.objects.filter(user=live.speaker).exists()
