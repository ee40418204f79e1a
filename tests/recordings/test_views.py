"""Every recording page, action and file, per role: host, co-host, speaker, listener,
outsider, staff and a guest (not logged in)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Recording
from recordings.tasks import render_recording
from tests.recordings.conftest import end_recorded_space, write_voice
from tests.transcript_helpers import give_transcript

PERSONAS = ["host", "cohost", "speaker", "listener", "outsider", "staff", "guest"]


@pytest.fixture
def recording(people):
    write_voice(people.space.pk, people.host.pk, 500, 0, 8)
    write_voice(people.space.pk, people.speaker.pk, 700, 4, 12)
    rec = end_recorded_space(people.space, [(0, 12)], 12)
    assert render_recording(rec.renders.get().pk) == "ready"
    rec.refresh_from_db()
    return rec


@pytest.fixture
def published(recording):
    Recording.objects.filter(pk=recording.pk).update(published_at=timezone.now())
    recording.refresh_from_db()
    return recording


def client_for(client, people, persona):
    if persona != "guest":
        client.force_login(getattr(people, persona))
    return client


def expect(persona, *, host, staff=None, others, guest=None):
    if persona == "host":
        return host
    if persona == "staff":
        return host if staff is None else staff
    if persona == "guest":
        return others if guest is None else guest
    return others


# --- pages -----------------------------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_an_unpublished_replay_is_only_for_the_host_and_staff(client, people, recording, persona):
    response = client_for(client, people, persona).get(reverse("replay", args=[recording.pk]))
    assert response.status_code == expect(persona, host=200, others=404)
    audio = client.get(reverse("replay_audio", args=[recording.pk, "m4a"]))
    assert audio.status_code == expect(persona, host=200, others=404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_published_replay_is_for_everyone(client, people, published, persona):
    response = client_for(client, people, persona).get(reverse("replay", args=[published.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Founders talk" in page and "Who spoke" in page
    assert "hana" in page and "sam" in page  # the speakers heard in it
    assert reverse("replay_audio", args=[published.pk, "m4a"]) in page
    assert ("Manage" in page) == (persona in ("host", "staff"))
    for fmt, kind in (("m4a", "audio/mp4"), ("mp3", "audio/mpeg")):
        audio = client.get(reverse("replay_audio", args=[published.pk, fmt]))
        assert audio.status_code == 200 and audio["Content-Type"] == kind
        assert b"".join(audio.streaming_content)[:4] in (b"\x00\x00\x00\x20", b"\x00\x00\x00\x1c", b"\xff\xfbT\xc4")


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_recording_page_and_its_status_are_for_the_host_and_staff(client, people, recording, persona):
    client = client_for(client, people, persona)
    page = client.get(reverse("recording", args=[recording.pk]))
    status = client.get(reverse("recording_status", args=[recording.pk]))
    expected = expect(persona, host=200, others=404, guest=302)
    assert page.status_code == expected and status.status_code == expected
    if expected == 200:
        assert status.json()["latest"]["state"] == "ready"
        text = page.content.decode()
        assert "Download M4A" in text
        assert ("Save and render" in text) == (persona == "host")  # staff see, the host edits
        assert ("Publish replay" in text) == (persona == "host")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("fmt", ["m4a", "mp3"])
def test_downloads_are_for_the_host_and_staff(client, people, published, persona, fmt):
    response = client_for(client, people, persona).get(reverse("recording_download", args=[published.pk, fmt]))
    assert response.status_code == expect(persona, host=200, others=404, guest=302)
    if response.status_code == 200:
        assert response["Content-Disposition"] == f'attachment; filename="founders-talk.{fmt}"'


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_transcript_downloads_as_webvtt_for_the_host_and_staff(client, people, published, persona):
    give_transcript(published, b"WEBVTT\n\n00:00.000 --> 00:02.000\n<v hana>Hello all\n")
    response = client_for(client, people, persona).get(reverse("recording_download", args=[published.pk, "vtt"]))
    assert response.status_code == expect(persona, host=200, others=404, guest=302)
    if response.status_code == 200:
        assert response["Content-Type"].startswith("text/vtt")
        assert response.content.startswith(b"WEBVTT") and b"<v hana>Hello all" in response.content
    # The replay shows it, synced cue by cue, to everyone who can play it.
    replay = client.get(reverse("replay", args=[published.pk])).content.decode()
    assert 'data-start="0.0" data-end="2.0"' in replay
    assert "<strong>hana</strong> <span data-cue-text>Hello all</span>" in replay


# --- actions ---------------------------------------------------------------------------
ACTIONS = {
    # action: (host, staff, others); guests are sent to log in
    "recording_publish": (302, 403, 404),
    "recording_unpublish": (302, 302, 404),
    "recording_delete": (302, 302, 404),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_actions_per_role(client, people, recording, persona, action):
    host, staff, others = ACTIONS[action]
    before = Recording.objects.get(pk=recording.pk)
    response = client_for(client, people, persona).post(reverse(action, args=[recording.pk]))
    assert response.status_code == expect(persona, host=host, staff=staff, others=others, guest=302)
    after = Recording.objects.get(pk=recording.pk)
    changed = response.status_code == 302 and persona != "guest"
    if action == "recording_publish":
        assert (after.published_at is not None) == changed
    if action == "recording_delete":
        assert (after.deleted_at is not None) == changed
    if not changed:
        assert (after.published_at, after.deleted_at) == (before.published_at, before.deleted_at)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_host_edits_and_reverts(client, people, recording, persona):
    client = client_for(client, people, persona)
    response = client.post(
        reverse("recording_edit", args=[recording.pk]), {"trim_start": "0:02", "cuts": "", "version": 0}
    )
    assert response.status_code == expect(persona, host=302, staff=403, others=404, guest=302)
    recording.refresh_from_db()
    assert recording.edits_version == (1 if persona == "host" else 0)
    response = client.post(reverse("recording_revert", args=[recording.pk]), {"version": recording.edits_version})
    assert response.status_code == expect(persona, host=302, staff=403, others=404, guest=302)


def test_publishing_puts_the_replay_on_the_home_page_and_the_profile(client, people, recording):
    client.force_login(people.host)
    assert "Recent replays" not in client.get(reverse("home")).content.decode()
    client.post(reverse("recording_publish", args=[recording.pk]))
    home = client.get(reverse("home")).content.decode()
    assert "Recent replays" in home and reverse("replay", args=[recording.pk]) in home
    profile = client.get(reverse("profile", args=["hana"])).content.decode()
    assert "Replays" in profile and reverse("replay", args=[recording.pk]) in profile
    ended_page = client.get(reverse("space", args=[people.space.pk])).content.decode()
    assert "Play the replay" in ended_page


def test_a_play_counts_once_per_visitor(client, people, published):
    url = reverse("replay_played", args=[published.pk])
    assert client.post(url).status_code == 204
    assert client.post(url).status_code == 204
    other = type(client)()
    other.post(url)
    published.refresh_from_db()
    assert published.play_count == 2


def test_players_can_seek_with_http_ranges(client, published):
    url = reverse("replay_audio", args=[published.pk, "mp3"])
    whole = b"".join(client.get(url).streaming_content)
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert b"".join(part.streaming_content) == whole[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-50")
    assert b"".join(tail.streaming_content) == whole[-50:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(whole) + 5}-").status_code == 416


# --- bad input and broken states ----------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"trim_start": "soon", "version": 0}, "is not a time"),
        ({"cuts": "0:03", "version": 0}, "is not a range"),
        ({"cuts": "0:02-0:05\n0:04-0:06", "version": 0}, "overlap"),
        ({"trim_start": "0:05", "trim_end": "0:03", "version": 0}, "Trim must keep a range"),
        ({"trim_end": "9:00", "version": 0}, "Trim must keep a range"),
        ({"cuts": "0:04-0:04", "version": 0}, "empty"),
        ({"cuts": "0:00-0:11.5", "version": 0}, "less than a second"),
        ({"trim_start": "0:01"}, "reload the page"),
        ({"trim_start": "0:01", "version": "x"}, "reload the page"),
    ],
)
def test_a_bad_edit_is_a_form_error_and_changes_nothing(client, people, recording, data, message):
    client.force_login(people.host)
    response = client.post(reverse("recording_edit", args=[recording.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    recording.refresh_from_db()
    assert recording.edits_version == 0 and recording.renders.count() == 1


def test_an_edit_made_against_an_old_version_is_refused(client, people, recording):
    client.force_login(people.host)
    client.post(reverse("recording_edit", args=[recording.pk]), {"trim_start": "0:01", "version": 0})
    response = client.post(reverse("recording_edit", args=[recording.pk]), {"trim_start": "0:02", "version": 0})
    assert response.status_code == 409
    assert "edited somewhere else" in response.content.decode()
    recording.refresh_from_db()
    assert recording.edits["trim_start_ms"] == 1000


def test_missing_files_show_a_clear_state_not_a_crash(client, people, published, media_root):
    for path in (media_root / f"recordings/{published.pk}").rglob("*.m4a"):
        path.unlink()
    client.force_login(people.host)
    page = client.get(reverse("recording", args=[published.pk]))
    assert page.status_code == 200 and "is missing from storage" in page.content.decode()
    replay = client.get(reverse("replay", args=[published.pk]))
    assert replay.status_code == 200 and "is missing" in replay.content.decode()
    assert client.get(reverse("replay_audio", args=[published.pk, "m4a"])).status_code == 404
    assert client.get(reverse("recording_download", args=[published.pk, "m4a"])).status_code == 404


def test_a_deleted_recording_is_gone_for_everyone_but_says_so_to_its_host(
    client, people, published, media_root, django_capture_on_commit_callbacks
):
    client.force_login(people.host)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("recording_delete", args=[published.pk]))
    assert not list((media_root / f"recordings/{published.pk}").rglob("*.m4a"))
    assert client.get(reverse("replay", args=[published.pk])).status_code == 404
    assert "was deleted" in client.get(reverse("recording", args=[published.pk])).content.decode()
    assert client.get(reverse("recording_download", args=[published.pk, "mp3"])).status_code == 404


def test_get_on_an_action_is_refused(client, people, recording):
    client.force_login(people.host)
    assert client.get(reverse("recording_publish", args=[recording.pk])).status_code == 405
    assert client.get(reverse("recording", args=[999_999])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_any_version_of_the_audio_is_for_the_host_and_staff(client, people, published, persona):
    """The editor plays the original even when an edit is current (and published)."""
    url = reverse("render_audio", args=[published.pk, published.original.pk, "m4a"])
    response = client_for(client, people, persona).get(url)
    assert response.status_code == expect(persona, host=200, others=404, guest=302)
    assert client.get(reverse("render_audio", args=[published.pk, 999_999, "m4a"])).status_code == expect(
        persona, host=404, others=404, guest=302
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_host_retries_a_failed_render(client, people, recording, persona):
    recording.renders.update(state="failed", error="Rendering failed.")
    response = client_for(client, people, persona).post(reverse("recording_retry", args=[recording.pk]))
    assert response.status_code == expect(persona, host=302, staff=403, others=404, guest=302)
    assert recording.renders.get().state == ("queued" if persona == "host" else "failed")


@pytest.mark.parametrize("persona", PERSONAS)
def test_plays_are_counted_for_whoever_may_play(client, people, recording, persona):
    url = reverse("replay_played", args=[recording.pk])
    response = client_for(client, people, persona).post(url)
    assert response.status_code == expect(persona, host=204, others=404)
    Recording.objects.filter(pk=recording.pk).update(published_at=timezone.now())
    assert client.post(url).status_code == 204


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_host_publishes_or_discards_a_pending_edit(client, people, published, persona):
    from recordings.services import do_save_edits

    edit = do_save_edits(people.host, published.pk, {"trim_start_ms": 2000}, 0)
    assert render_recording(edit.pk) == "ready"
    client = client_for(client, people, persona)
    page = client.get(reverse("recording", args=[published.pk]))
    if page.status_code == 200:
        assert "Your edit is ready" in page.content.decode()
        assert ("Publish this version" in page.content.decode()) == (persona == "host")
    expected = expect(persona, host=302, staff=403, others=404, guest=302)
    discard = client.post(reverse("recording_discard", args=[published.pk]), {"version": 1})
    assert discard.status_code == expected
    if persona != "host":
        use = client.post(reverse("recording_use", args=[published.pk]), {"render": edit.pk})
        assert use.status_code == expected
        assert Recording.objects.get(pk=published.pk).current_id == published.original_id


@pytest.mark.parametrize(
    "name,args",
    [
        ("replay_audio", ["m4a"]),
        ("render_audio", ["render", "mp3"]),
        ("recording_download", ["mp3"]),
    ],
)
def test_every_audio_and_transcript_file_answers_head(client, people, published, name, args):
    """HEAD gets what GET would say about the file, without the bytes, and ranges work."""
    client.force_login(people.host)
    args = [published.current.pk if a == "render" else a for a in args]
    url = reverse(name, args=[published.pk, *args])
    whole = b"".join(client.get(url).streaming_content)

    head = client.head(url)
    part = client.head(url, HTTP_RANGE="bytes=10-19")

    assert head.status_code == 200 and head.content == b"" and head["Content-Length"] == str(len(whole))
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 10-19/{len(whole)}"
