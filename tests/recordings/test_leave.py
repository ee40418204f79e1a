"""A speaker takes their voice out of an ended space's recording, before or after publication:
every version holding it is withdrawn at once, the replay (and its edit) is made again without
them under new names, the feed follows, the host is told, and the replay's clips leave them out."""

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from clips import services as clip_services
from clips.models import Clip
from recordings.models import Recording, Render
from recordings.services import do_leave_recording, do_publish, do_save_edits, do_use_render
from recordings.tasks import render_recording
from rooms.errors import NotAllowed, NotFound
from rooms.models import Notification, Participant
from tests.clips.conftest import TONES, decoded, run_renders, tones_in
from tests.recordings.conftest import end_recorded_space, write_voice

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(people, django_capture_on_commit_callbacks):
    space = people.space
    write_voice(space.pk, people.host.pk, TONES["host"], 0, 20)
    write_voice(space.pk, people.speaker.pk, TONES["speaker"], 10, 30)
    recording = end_recorded_space(space, [(0, 30)], 30)
    assert render_recording(recording.renders.get().pk) == "ready"
    do_publish(people.host, recording.pk)
    return Recording.objects.get(pk=recording.pk)


def pending(recording) -> list[Render]:
    return list(recording.renders.filter(state=Render.State.QUEUED).order_by("pk"))


def test_leaving_withdraws_the_replay_at_once_and_remakes_it_without_the_voice(
    published, people, django_capture_on_commit_callbacks, client
):
    old = published.current
    with django_capture_on_commit_callbacks(execute=True):
        do_leave_recording(people.speaker, published.pk)
    assert not default_storage.exists(old.m4a) and not default_storage.exists(old.mp3)
    recording = Recording.objects.get(pk=published.pk)
    assert recording.current is None and recording.is_published
    assert client.get(f"/replays/{recording.pk}/audio.m4a").status_code == 404
    assert Participant.objects.get(space=people.space, user=people.speaker).recording_opt_out
    assert Notification.objects.filter(user=people.host, text__contains="took their voice out").exists()

    (remake,) = pending(recording)
    assert render_recording(remake.pk) == "ready"
    recording.refresh_from_db()
    assert recording.current_id == remake.pk == recording.original_id
    assert remake.__class__.objects.get(pk=remake.pk).m4a != old.m4a
    assert tones_in(decoded(recording.current.m4a)) == {"host"}
    assert list(recording.speakers.all()) == [people.host]
    feed = client.get(f"/u/{people.host.username}/podcast.xml").content.decode()
    assert f'length="{recording.current.mp3_bytes}"' in feed and old.mp3.rsplit("/", 1)[-1] not in feed
    # Only one notification of a ready recording: the remake does not announce itself again.
    assert Notification.objects.filter(user=people.host, text__contains="is ready").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        do_leave_recording(people.speaker, published.pk)  # again: nothing more happens
    assert pending(recording) == []


def test_a_published_edit_is_remade_and_the_unedited_original_never_stands_in(
    published, people, django_capture_on_commit_callbacks
):
    edit = do_save_edits(people.host, published.pk, {"trim_start_ms": 0, "trim_end_ms": 20000, "cuts": []}, 0)
    assert render_recording(edit.pk) == "ready"
    do_use_render(people.host, published.pk, edit.pk)
    with django_capture_on_commit_callbacks(execute=True):
        do_leave_recording(people.speaker, published.pk)
    recording = Recording.objects.get(pk=published.pk)
    original, edited = pending(recording)
    assert (original.kind, edited.kind, edited.edits["trim_end_ms"]) == ("original", "edited", 20000)
    assert render_recording(original.pk) == "ready"
    recording.refresh_from_db()
    assert recording.current_id is None, "the unedited original must not play in the edit's place"
    assert render_recording(edited.pk) == "ready"
    recording.refresh_from_db()
    assert recording.current_id == edited.pk and recording.current.duration_ms == 20_000
    assert tones_in(decoded(recording.current.m4a)) == {"host"}


def test_only_a_speaker_heard_in_it_can_take_their_voice_out(published, people):
    for who in (people.listener, people.cohost, people.outsider, people.staff):
        with pytest.raises(NotAllowed):
            do_leave_recording(who, published.pk)
    with pytest.raises(NotFound):
        do_leave_recording(people.guest, published.pk)
    with pytest.raises(NotFound):
        do_leave_recording(people.speaker, 10**9)
    assert Recording.objects.get(pk=published.pk).current_id == published.current_id


def test_the_space_page_offers_it_to_the_speaker_only(published, people):
    url = f"/spaces/{people.space.pk}/"
    for role in ("guest", "outsider", "listener", "cohost", "host", "speaker"):
        client = Client()
        if role != "guest":
            client.force_login(getattr(people, role))
        page = client.get(url).content.decode()
        assert ("Take my voice out of the recording" in page) == (role in ("speaker", "host")), role
        response = client.post(f"/recordings/{published.pk}/leave/")
        if role == "guest":
            assert response.status_code == 302 and "/login" in response.url
        elif role not in ("speaker", "host"):
            assert response.status_code in (403, 404), role
    speaker = Client()
    speaker.force_login(people.speaker)
    assert "Take my voice out" not in speaker.get(url).content.decode()  # done above


def test_the_replays_clips_leave_the_voice_out(published, people, queued, django_capture_on_commit_callbacks):
    clip = clip_services.do_clip_replay(people.listener, published.pk, 8000, 18000, "", "")
    for user in (people.host, people.speaker):
        with django_capture_on_commit_callbacks(execute=True):
            clip_services.do_answer(user, clip.voices.get(speaker=user).pk, "yes")
    run_renders(queued)
    shared = Clip.objects.get(pk=clip.pk)
    assert tones_in(decoded(shared.m4a)) == {"host", "speaker"}
    with django_capture_on_commit_callbacks(execute=True):
        do_leave_recording(people.speaker, published.pk)
    assert not default_storage.exists(shared.m4a)
    assert clip.voices.get(speaker=people.speaker).answer == "no"
    run_renders(queued)
    again = Clip.objects.get(pk=clip.pk)
    assert again.state == Clip.State.PUBLISHED and tones_in(decoded(again.m4a)) == {"host"}
