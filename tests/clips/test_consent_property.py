"""The product's promise, as a property over real rendered files: whatever the voices, their
activity, their standing preferences, their answers, withdrawals and expiries, a clip's files
and every speaker's preview hold exactly the tones of the voices that said yes (by spectrum,
far above the noise floor), never one that declined, did not answer, expired or withdrew."""

import os
import tempfile
import uuid
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clips import rendering, services
from clips.models import Clip, ConsentPreference, Voice
from rooms.media import storage
from rooms.media.encode import encode_flac
from rooms.media.tracks import track_prefix
from rooms.models import Participant
from tests.audio import band_peak, tone
from tests.clips.conftest import decoded, run_renders
from tests.factories import ParticipantFactory, SpaceFactory, UserFactory

pytestmark = pytest.mark.django_db

FREQS = [430.0, 610.0, 890.0, 1270.0]
CLIP_START, LIVE = 10, 40  # the space has been live 40 s: the clip is 10-40 s of its clock
# The largest share of any half second's energy in a voice's band: a talking voice among four
# has about a quarter; the codecs' noise in an absent voice's band stays under a thousandth.
PRESENT, ABSENT = 0.1, 0.01
EXAMPLES = 60 if os.environ.get("ROUNDTABLE_TIER") == "integration" else 12

speaker = st.fixed_dictionaries(
    {
        # Stretches of speech inside the clip's 30 s (at least 3 s each); none: on stage, silent.
        "talks": st.lists(st.tuples(st.integers(0, 24), st.integers(3, 6)), max_size=2),
        "preference": st.sampled_from(["always", "ask", "never"]),
    }
)
story = st.fixed_dictionaries(
    {
        "speakers": st.lists(speaker, min_size=1, max_size=4),
        "clipper": st.integers(-1, 3),  # -1: a listener not on stage; else that speaker
        # (speaker index, what happens to their request), in order; renders run when asked.
        "steps": st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["yes", "no", "expire", "render"])), max_size=8),
        "share_without": st.booleans(),
    }
)


def voice_pcm(user_freq: float, talks) -> np.ndarray:
    pcm = np.zeros(LIVE * 48_000, dtype=np.int16)
    for at, length in talks:
        a = (CLIP_START + at) * 48_000
        pcm[a : a + length * 48_000] = tone(user_freq, length)
    return pcm


def heard_freqs(pcm: np.ndarray, freqs: dict[int, float]) -> tuple[set[int], set[int]]:
    """(clearly present, clearly absent) user ids; anything between is a failure of its own."""
    present = {u for u, f in freqs.items() if band_peak(pcm, f) > PRESENT}
    absent = {u for u, f in freqs.items() if band_peak(pcm, f) < ABSENT}
    return present, absent


def check_files(clip: Clip, freqs: dict[int, float], audible: set[int]) -> None:
    clip.refresh_from_db()
    yes = set(clip.voices.filter(answer=Voice.Answer.YES).values_list("speaker_id", flat=True))
    if clip.m4a:
        for name in (clip.m4a, clip.mp3):
            present, absent = heard_freqs(decoded(name), freqs)
            assert present <= yes, f"{name} holds voices that did not say yes: {present - yes}"
            assert set(freqs) - yes <= absent, f"{name}: a voice not cleared is above the noise floor"
            assert present | absent == set(freqs), f"{name}: a voice is neither clearly in nor out"
            assert set(clip.heard) == present, "the clip says it holds other voices than it does"
    for voice in clip.voices.all():
        if clip.is_gone:
            continue
        present, absent = heard_freqs(np.frombuffer(_preview(voice), dtype=np.int16), freqs)
        allowed = yes | {voice.speaker_id}
        assert present <= allowed, f"preview for {voice.speaker_id} holds {present - allowed}"
        assert set(freqs) - allowed <= absent


def _preview(voice: Voice) -> bytes:
    path = f"{tempfile.mkdtemp()}/preview.mp3"
    with open(path, "wb") as f:
        f.write(rendering.preview_mp3(voice))
    return decoded(path).tobytes()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=story)
def test_a_clip_only_ever_holds_the_voices_that_said_yes(case, media_root, queued, django_capture_on_commit_callbacks):
    tag = uuid.uuid4().hex[:8]
    space = SpaceFactory(title=f"Property {tag}", started_at=timezone.now() - timedelta(seconds=LIVE))
    users, freqs = [], {}
    for index, who in enumerate(case["speakers"]):
        user = UserFactory(username=f"s{index}{tag}")
        ParticipantFactory(space=space, user=user, role=Participant.Role.SPEAKER)
        ConsentPreference.objects.create(user=user, choice=who["preference"])
        storage.put(
            f"{track_prefix(space.pk, user.pk)}0000000000.flac", encode_flac(voice_pcm(FREQS[index], who["talks"]))
        )
        users.append(user)
        freqs[user.pk] = FREQS[index]
    audible = {u.pk for u, who in zip(users, case["speakers"], strict=True) if who["talks"]}
    clipper_index = case["clipper"]
    if 0 <= clipper_index < len(users):
        clipper = users[clipper_index]
    else:
        clipper = ParticipantFactory(space=space, user=UserFactory(username=f"l{tag}")).user

    with django_capture_on_commit_callbacks(execute=True):
        clip = services.do_clip_live(clipper, space.pk)
    Clip.objects.filter(pk=clip.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.do_collect(clip.pk)
    clip.refresh_from_db()
    assert set(clip.voices.values_list("speaker_id", flat=True)) == audible, "the clip's voices are the audible ones"

    withdrew_after_sharing = False  # a voice in the shared clip left it: the rest stay shared
    for index, action in case["steps"]:
        with django_capture_on_commit_callbacks(execute=True):
            if action == "render":
                run_renders(queued)
            elif index < len(users):
                voice = Voice.objects.filter(clip=clip, speaker=users[index]).first()
                if voice is None or Clip.objects.get(pk=clip.pk).is_gone:
                    continue
                if action == "expire":
                    Voice.objects.filter(pk=voice.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
                    services.do_expire_request(voice.pk)
                else:
                    shared = Clip.objects.get(pk=clip.pk).published_at is not None
                    withdrew_after_sharing |= shared and action == "no" and voice.answer == Voice.Answer.YES
                    services.do_answer(users[index], voice.pk, action)
        check_files(clip, freqs, audible)
    clip.refresh_from_db()
    if clip.state == Clip.State.DECIDE and case["share_without"] and clip.voices.filter(answer="yes").exists():
        with django_capture_on_commit_callbacks(execute=True):
            services.do_share_without_declined(clipper, clip.pk)
    with django_capture_on_commit_callbacks(execute=True):
        run_renders(queued)
    check_files(clip, freqs, audible)
    clip.refresh_from_db()
    yes = set(clip.voices.filter(answer=Voice.Answer.YES).values_list("speaker_id", flat=True))
    everyone_agreed = clip.voices.exists() and not clip.voices.exclude(answer=Voice.Answer.YES).exists()
    if clip.state == Clip.State.PUBLISHED:
        assert set(clip.heard) == yes, "a shared clip holds every voice that said yes, after all renders"
        assert everyone_agreed or clip.without_declined or withdrew_after_sharing
    if everyone_agreed and not clip.is_gone:
        assert clip.state == Clip.State.PUBLISHED
