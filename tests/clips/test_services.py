"""Clips of a published replay through the services: who is asked, what the files hold after
each answer, withdrawals, expiry, and every bad input changing nothing."""

import os
import tempfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from clips import rendering, services
from clips.models import Clip, ConsentPreference, Voice
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.models import Participant
from tests.clips.conftest import clip_of, decoded, run_renders, tones_in

pytestmark = pytest.mark.django_db


def voice_of(clip, user) -> Voice:
    return clip.voices.get(speaker=user)


def answer(user, clip, value, capture):
    with capture(execute=True):
        return services.do_answer(user, voice_of(clip, user).pk, value)


def make(replay, user, start=5000, end=15000, **kw):
    return services.do_clip_replay(user, replay.recording.pk, start, end, kw.get("title", ""), kw.get("caption", ""))


def test_every_audible_voice_is_asked_and_the_clip_waits(replay, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clip = make(replay, replay.listener)
    assert clip.state == Clip.State.ASKING
    asked = {v.speaker.username: v.answer for v in clip.voices.select_related("speaker")}
    assert asked == {replay.host.username: "pending", "sam": "pending", "cora": "pending"}
    assert clip.title.endswith("at 0:05")
    assert not clip.m4a


def test_a_range_where_one_voice_is_silent_does_not_ask_it(replay):
    clip = make(replay, replay.listener, 21000, 29000)  # host talks 0-20 s only
    assert set(clip.voices.values_list("speaker__username", flat=True)) == {"sam", "cora"}


def test_the_clippers_own_voice_is_a_yes(replay):
    clip = make(replay, replay.speaker)
    assert voice_of(clip, replay.speaker).answer == Voice.Answer.YES


def test_all_yes_renders_every_voice(replay, queued, django_capture_on_commit_callbacks):
    clip = make(replay, replay.listener)
    for user in (replay.host, replay.speaker, replay.cohost):
        answer(user, clip, "yes", django_capture_on_commit_callbacks)
    assert clip_of(clip.pk).state == Clip.State.RENDERING
    assert run_renders(queued) == ["ready"]
    clip = clip_of(clip.pk)
    assert clip.state == Clip.State.PUBLISHED and clip.duration_ms == 10_000
    assert tones_in(decoded(clip.m4a)) == tones_in(decoded(clip.mp3)) == {"host", "speaker", "cohost"}


def test_a_no_leaves_the_creator_to_decide_and_sharing_without_leaves_that_voice_out(
    replay, queued, django_capture_on_commit_callbacks
):
    clip = make(replay, replay.listener)
    answer(replay.host, clip, "yes", django_capture_on_commit_callbacks)
    answer(replay.speaker, clip, "yes", django_capture_on_commit_callbacks)
    answer(replay.cohost, clip, "no", django_capture_on_commit_callbacks)
    assert clip_of(clip.pk).state == Clip.State.DECIDE
    assert run_renders(queued) == []  # nothing is made before the creator decides
    with pytest.raises(NotAllowed):
        services.do_share_without_declined(replay.host, clip.pk)
    services.do_share_without_declined(replay.listener, clip.pk)
    assert run_renders(queued) == ["ready"]
    clip = clip_of(clip.pk)
    assert tones_in(decoded(clip.m4a)) == {"host", "speaker"}
    assert sorted(clip.heard) == sorted([replay.host.pk, replay.speaker.pk])


def test_standing_preferences_answer_and_an_opted_out_voice_is_never(replay, queued):
    ConsentPreference.objects.create(user=replay.host, choice="always")
    ConsentPreference.objects.create(user=replay.speaker, choice="never")
    # The co-host left their voice out of the recording (opting out after the end arrives later).
    Participant.objects.filter(space=replay.space, user=replay.cohost).update(recording_opt_out=True)
    clip = make(replay, replay.listener)
    answers = {v.speaker.username: (v.answer, v.by_preference) for v in clip.voices.select_related("speaker")}
    assert answers == {replay.host.username: ("yes", True), "sam": ("no", True), "cora": ("no", True)}
    assert clip.state == Clip.State.DECIDE


def test_a_withdrawn_yes_deletes_the_files_at_once_and_remakes_them_under_new_names(
    replay, queued, django_capture_on_commit_callbacks
):
    clip = make(replay, replay.listener)
    for user in (replay.host, replay.speaker, replay.cohost):
        answer(user, clip, "yes", django_capture_on_commit_callbacks)
    run_renders(queued)
    first = clip_of(clip.pk)
    old = (first.m4a, first.mp3)
    answer(replay.speaker, first, "no", django_capture_on_commit_callbacks)
    gone = clip_of(clip.pk)
    assert gone.m4a == "" and gone.state == Clip.State.RENDERING
    assert not any(default_storage.exists(name) for name in old)
    assert run_renders(queued) == ["ready"]
    again = clip_of(clip.pk)
    assert again.m4a not in old and again.state == Clip.State.PUBLISHED
    assert tones_in(decoded(again.m4a)) == {"host", "cohost"}
    # ... and with everyone gone, the clip is taken down.
    answer(replay.host, again, "no", django_capture_on_commit_callbacks)
    answer(replay.cohost, again, "no", django_capture_on_commit_callbacks)
    down = clip_of(clip.pk)
    assert down.state == Clip.State.TAKEN_DOWN and not default_storage.exists(again.m4a)


def test_an_answer_made_while_rendering_throws_the_outdated_render_away(
    replay, queued, django_capture_on_commit_callbacks
):
    clip = make(replay, replay.listener)
    for user in (replay.host, replay.speaker, replay.cohost):
        answer(user, clip, "yes", django_capture_on_commit_callbacks)
    version = clip_of(clip.pk).version
    voices = rendering.consenting(clip_of(clip.pk))
    answer(replay.cohost, clip, "no", django_capture_on_commit_callbacks)  # after the render read its voices
    with django_capture_on_commit_callbacks(execute=True):
        outcome = rendering.finish(
            clip.pk, version, voices, m4a="clips/x/a.m4a", mp3="clips/x/a.mp3", peaks=[], duration_ms=1
        )
    assert outcome == "outdated"
    assert clip_of(clip.pk).m4a == ""


def test_an_unanswered_request_expires_as_a_no(replay, queued, django_capture_on_commit_callbacks):
    clip = make(replay, replay.listener)
    answer(replay.host, clip, "yes", django_capture_on_commit_callbacks)
    answer(replay.speaker, clip, "yes", django_capture_on_commit_callbacks)
    cora = voice_of(clip, replay.cohost)
    assert not services.do_expire_request(cora.pk)  # not due yet
    Voice.objects.filter(pk=cora.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert list(services.expired_requests().values_list("pk", flat=True)) == [cora.pk]
    assert services.do_expire_request(cora.pk)
    assert voice_of(clip, replay.cohost).answer == Voice.Answer.EXPIRED
    assert clip_of(clip.pk).state == Clip.State.DECIDE
    # A late answer still counts.
    answer(replay.cohost, clip, "yes", django_capture_on_commit_callbacks)
    assert clip_of(clip.pk).state == Clip.State.RENDERING


def test_a_preview_holds_the_speakers_own_voice_and_the_cleared_ones_only(
    replay, queued, django_capture_on_commit_callbacks
):
    clip = make(replay, replay.listener)
    answer(replay.host, clip, "yes", django_capture_on_commit_callbacks)
    data = rendering.preview_mp3(voice_of(clip, replay.speaker))
    path = os.path.join(tempfile.mkdtemp(), "p.mp3")
    with open(path, "wb") as f:
        f.write(data)
    assert tones_in(decoded(path)) == {"host", "speaker"}  # cora has not said yes


def test_answering_twice_is_one_answer_and_nobody_answers_for_another(replay, django_capture_on_commit_callbacks):
    clip = make(replay, replay.listener)
    host_request = voice_of(clip, replay.host)
    for other in (replay.speaker, replay.listener, replay.outsider, replay.staff, replay.guest):
        with pytest.raises(NotFound):
            services.do_answer(other, host_request.pk, "yes")
    answer(replay.host, clip, "yes", django_capture_on_commit_callbacks)
    first = voice_of(clip, replay.host).answered_at
    answer(replay.host, clip, "yes", django_capture_on_commit_callbacks)
    assert voice_of(clip, replay.host).answered_at == first
    with pytest.raises(InvalidRequest):
        services.do_answer(replay.host, host_request.pk, "maybe")


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (-1000, 5000, "range_out_of_bounds"),
        (25000, 31000, "range_out_of_bounds"),
        (5000, 5000, "range_out_of_bounds"),
        (5000, 5500, "range_empty"),
        ("x", 5000, "bad_range"),
        (10**400, 5000, "range_out_of_bounds"),
    ],
    ids=["negative", "past_the_end", "empty", "half_a_second", "not_a_number", "huge"],
)
def test_a_bad_range_is_refused_and_makes_nothing(replay, start, end, code):
    with pytest.raises(InvalidRequest) as raised:
        make(replay, replay.listener, start, end)
    assert raised.value.code == code
    assert not Clip.objects.exists()


def test_a_range_longer_than_allowed_is_refused(replay, settings):
    settings.CLIPS = {**settings.CLIPS, "MAX_SECONDS": 8}
    with pytest.raises(InvalidRequest) as raised:
        make(replay, replay.listener, 0, 9000)
    assert raised.value.code == "range_too_long"


def test_clips_off_unpublished_suspended_guest_and_the_rate_limit_are_refused(replay, settings):
    replay.space.allow_clips = False
    replay.space.save()
    with pytest.raises(NotAllowed, match="turned clips off"):
        make(replay, replay.listener)
    replay.space.allow_clips = True
    replay.space.save()
    with pytest.raises(NotAllowed):
        make(replay, replay.guest)
    replay.listener.is_active = False
    replay.listener.save()
    with pytest.raises(NotAllowed, match="suspended"):
        make(replay, replay.listener)
    settings.CLIPS = {**settings.CLIPS, "PER_HOUR": 2}
    make(replay, replay.outsider)
    make(replay, replay.outsider)
    with pytest.raises(services.TooManyClips):
        make(replay, replay.outsider)
    from recordings.services import do_unpublish

    do_unpublish(replay.host, replay.recording.pk)
    with pytest.raises(NotFound):
        make(replay, replay.speaker)
    assert Clip.objects.count() == 2


def test_who_may_drop_delete_and_take_down(replay, django_capture_on_commit_callbacks):
    clip = make(replay, replay.listener)
    for who in (replay.speaker, replay.cohost, replay.host, replay.staff):
        with pytest.raises(NotAllowed):
            services.do_drop(who, clip.pk)
    for who in (replay.outsider, replay.guest):
        with pytest.raises(NotFound):
            services.do_drop(who, clip.pk)
    for who in (replay.speaker, replay.cohost, replay.staff):
        with pytest.raises(NotAllowed):
            services.do_delete(who, clip.pk)
    for who in (replay.listener, replay.host, replay.speaker, replay.outsider, replay.guest):
        with pytest.raises(NotFound):
            services.do_take_down(who, clip.pk)
    services.do_delete(replay.host, clip.pk)
    assert clip_of(clip.pk).state == Clip.State.DROPPED
    with pytest.raises(Conflict):
        services.do_answer(replay.speaker, voice_of(clip, replay.speaker).pk, "yes")
    other = make(replay, replay.listener)
    services.do_take_down(replay.staff, other.pk, "Harassment")
    assert clip_of(other.pk).state == Clip.State.TAKEN_DOWN
    third = make(replay, replay.listener)
    services.do_drop(replay.listener, third.pk)
    with pytest.raises(Conflict):
        services.do_drop(replay.listener, third.pk)


def test_only_the_host_turns_clips_off_and_live_rooms_are_told(replay, people, sent):
    space = replay.space
    for who in (people.cohost, people.speaker, people.listener, people.outsider, people.staff, people.guest):
        with pytest.raises(NotAllowed):
            services.do_set_clips_allowed(who, space.pk, False)
    services.do_set_clips_allowed(people.host, space.pk, False)
    space.refresh_from_db()
    assert not space.allow_clips


def test_a_standing_preference_is_checked(people):
    with pytest.raises(InvalidRequest):
        services.do_set_preference(people.listener, "sometimes")
    with pytest.raises(NotAllowed):
        services.do_set_preference(people.guest, "always")
    assert services.do_set_preference(people.listener, "never").choice == "never"
    assert services.preference(people.listener.pk) == "never"


def test_once_the_raw_audio_is_gone_no_clip_is_made_and_a_withdrawal_takes_the_clip_down(
    replay, queued, django_capture_on_commit_callbacks
):
    from rooms.media import storage
    from rooms.media.storage import space_prefix

    clip = make(replay, replay.listener)
    for user in (replay.host, replay.speaker, replay.cohost):
        answer(user, clip, "yes", django_capture_on_commit_callbacks)
    run_renders(queued)
    storage.delete_tree(space_prefix(replay.space.pk))  # the moderation copy expired
    with pytest.raises(Conflict) as raised:
        make(replay, replay.listener, 0, 9000)
    assert raised.value.code == "audio_gone"
    answer(replay.speaker, clip, "no", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_renders(queued) == ["audio gone"]
    down = clip_of(clip.pk)
    assert down.state == Clip.State.TAKEN_DOWN and down.m4a == ""
