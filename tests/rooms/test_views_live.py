"""The live program files for listeners: who may fetch them, and what cannot be reached."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from rooms.media.program import program_prefix
from rooms.models import Participant, Space
from rooms.services.spaces import do_end_space
from tests.factories import SpaceFactory

PERSONAS = ["host", "cohost", "speaker", "listener", "outsider", "other_host", "staff", "guest"]

PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n"


@pytest.fixture
def program(people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    prefix = program_prefix(people.space.pk)
    default_storage.save(prefix + "live.m3u8", ContentFile(PLAYLIST.encode()))
    default_storage.save(prefix + "seg_000000.ts", ContentFile(b"\x47" * 188))
    return people


def url(space_id, name):
    return f"/spaces/{space_id}/live/{name}"


def persona_user(people, persona):
    if persona == "other_host":
        return SpaceFactory(title="Another room").host
    return getattr(people, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_serves_the_playlist_and_segments_to_everyone_but_removed_people(client, program, persona):
    user = persona_user(program, persona)
    if user.is_authenticated:
        client.force_login(user)

    playlist = client.get(url(program.space.pk, "live.m3u8"))
    segment = client.get(url(program.space.pk, "seg_000000.ts"))

    assert playlist.status_code == 200
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist["Cache-Control"] == "no-cache"
    assert b"".join(playlist.streaming_content).decode() == PLAYLIST
    assert segment.status_code == 200
    assert segment["Content-Type"] == "video/mp2t"


def test_it_refuses_people_removed_from_the_space(client, program):
    client.force_login(program.removed)

    assert client.get(url(program.space.pk, "live.m3u8")).status_code == 403


@pytest.mark.parametrize("name", ["../../secret.txt", "seg_1.ts", "live.m3u", "notes.txt", "seg_000000.ts.bak"])
def test_it_reaches_nothing_but_playlist_and_segment_names(client, program, name):
    assert client.get(url(program.space.pk, name)).status_code == 404


def test_it_says_not_found_before_a_segment_is_written(client, program):
    assert client.get(url(program.space.pk, "seg_000009.ts")).status_code == 404


@pytest.mark.parametrize("state", [Space.State.SCHEDULED, Space.State.CANCELLED])
def test_it_has_no_live_audio_for_spaces_that_never_ran(client, program, state):
    Space.objects.filter(pk=program.space.pk).update(state=state)

    assert client.get(url(program.space.pk, "live.m3u8")).status_code == 404


def fetches(client, space_id):
    """Every way a client could ask for the program: the playlist, a segment it was given, a
    guessed next one, a byte range of it, and HEAD."""
    return {
        "playlist": client.get(url(space_id, "live.m3u8")),
        "segment": client.get(url(space_id, "seg_000000.ts")),
        "guessed segment": client.get(url(space_id, "seg_000001.ts")),
        "range": client.get(url(space_id, "seg_000000.ts"), HTTP_RANGE="bytes=0-99"),
        "head": client.head(url(space_id, "live.m3u8")),
    }


@pytest.mark.parametrize("recorded", [False, True], ids=["unrecorded", "recorded"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_serves_nothing_of_an_ended_space_to_anyone(client, program, persona, recorded):
    """After the end the files are the moderation copy: every voice, the opted-out speaker's
    included, whether or not the host recorded. No role reaches them through the live URLs."""
    space = program.space
    Space.objects.filter(pk=space.pk).update(record=recorded, recording=recorded)
    Participant.objects.filter(space=space, user=program.speaker).update(recording_opt_out=True)
    default_storage.save(program_prefix(space.pk) + "seg_000001.ts", ContentFile(b"\x47" * 188))
    user = persona_user(program, persona)
    if user.is_authenticated:
        client.force_login(user)
    assert client.get(url(space.pk, "seg_000000.ts")).status_code == 200  # while live

    do_end_space(program.host, space.pk)

    statuses = {what: response.status_code for what, response in fetches(client, space.pk).items()}
    assert statuses == dict.fromkeys(statuses, 404)
    assert default_storage.exists(program_prefix(space.pk) + "seg_000000.ts")  # kept for moderation


@pytest.mark.parametrize("state", [Space.State.SCHEDULED, Space.State.CANCELLED, Space.State.ENDED])
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_serves_no_way_in_to_a_space_that_is_not_live(client, program, persona, state):
    Space.objects.filter(pk=program.space.pk).update(state=state)
    user = persona_user(program, persona)
    if user.is_authenticated:
        client.force_login(user)

    statuses = {what: response.status_code for what, response in fetches(client, program.space.pk).items()}

    assert statuses == dict.fromkeys(statuses, 404)


def test_it_refuses_other_methods(client, program):
    assert client.post(url(program.space.pk, "live.m3u8")).status_code == 405


def test_it_answers_head_with_the_headers_of_get_and_no_body(client, program):
    playlist = client.head(url(program.space.pk, "live.m3u8"))
    segment = client.head(url(program.space.pk, "seg_000000.ts"), HTTP_RANGE="bytes=0-99")

    assert playlist.status_code == 200 and playlist.content == b""
    assert playlist["Content-Length"] == str(len(PLAYLIST)) and playlist["Cache-Control"] == "no-cache"
    assert segment.status_code == 206 and segment["Content-Range"] == "bytes 0-99/188"


def test_it_refuses_head_to_removed_people_too(client, program):
    client.force_login(program.removed)

    assert client.head(url(program.space.pk, "live.m3u8")).status_code == 403


@pytest.fixture
def s3_program(program, s3_storage, monkeypatch):
    """The program on S3 (URLs signed for real by boto3; the bucket itself stood in for)."""
    from storages.backends.s3 import S3Storage

    monkeypatch.setattr(S3Storage, "exists", lambda self, name: name.startswith(program_prefix(program.space.pk)))
    monkeypatch.setattr(S3Storage, "open", lambda self, name, mode="rb": ContentFile(PLAYLIST.encode()))
    return program


def test_on_s3_the_playlist_comes_through_the_site_and_segments_by_short_lived_links(client, s3_program):
    space_id = s3_program.space.pk

    playlist = client.get(url(space_id, "live.m3u8"))
    segment = client.get(url(space_id, "seg_000000.ts"))

    # Relative segment names in the playlist resolve against the site, so each passes the check.
    assert playlist.status_code == 200 and playlist.content.decode() == PLAYLIST
    assert playlist["Cache-Control"] == "no-cache"
    assert client.head(url(space_id, "live.m3u8")).content == b""
    assert segment.status_code == 302
    assert "roundtable-media" in segment["Location"] and "X-Amz-Expires=30" in segment["Location"]


def test_on_s3_nothing_is_signed_once_the_space_has_ended(client, s3_program):
    do_end_space(s3_program.host, s3_program.space.pk)

    statuses = {what: response.status_code for what, response in fetches(client, s3_program.space.pk).items()}

    assert statuses == dict.fromkeys(statuses, 404)
