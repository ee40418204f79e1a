"""Every clip page, file and button over HTTP, for each role: guest, outsider, the clip's
creator (a listener), its speakers (host, co-host, speaker), staff."""

import pytest
from django.test import Client

from clips import services
from clips.models import Clip, Voice
from tests.clips.conftest import ROLES, client_for, clip_of, run_renders
from tests.transcript_helpers import give_transcript

pytestmark = pytest.mark.django_db


def test_making_a_clip_of_a_replay(replay):
    url = f"/replays/{replay.recording.pk}/clip/"
    assert Client().post(url, {"start": "0:05", "end": "0:15"}).status_code == 302  # to log in
    assert not Clip.objects.exists()
    for role in ("outsider", "listener", "speaker", "cohost", "host", "staff"):
        response = client_for(replay, role).post(url, {"start": "0:05", "end": "15", "title": f"By {role}"})
        assert response.status_code == 302, role
        clip = Clip.objects.get(title=f"By {role}")
        assert response.url == f"/clips/{clip.pk}/"
    json = client_for(replay, "listener").post(url, {"start": "5", "end": "15"}, HTTP_ACCEPT="application/json")
    assert json.status_code == 201 and json.json()["clip"]["state"] == "asking"


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"start": "", "end": "5"}, 400), ({"start": "1:99:99:99", "end": "5"}, 400), ({"start": "5", "end": "90"}, 400)],
)
def test_a_bad_clip_form_is_a_4xx_and_makes_nothing(replay, fields, status):
    response = client_for(replay, "listener").post(
        f"/replays/{replay.recording.pk}/clip/", fields, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] in ("bad_range", "range_out_of_bounds", "range_too_long")
    assert not Clip.objects.exists()


def test_an_unshared_clip_is_seen_by_its_creator_speakers_host_and_staff_only(replay, asking):
    for role in ROLES:
        status = client_for(replay, role).get(f"/clips/{asking.pk}/").status_code
        assert status == (404 if role in ("guest", "outsider") else 200), role


def test_a_shared_clip_is_public_with_its_cards_and_its_file_under_its_own_name(replay, shared):
    for role in ROLES:
        page = client_for(replay, role).get(f"/clips/{shared.pk}/")
        assert page.status_code == 200, role
    html = Client().get(f"/clips/{shared.pk}/").content.decode()
    token = shared.mp3.rsplit("/", 1)[-1].removesuffix(".mp3")
    assert f'property="og:audio" content="http://testserver/clips/{shared.pk}/{token}.mp3"' in html
    assert 'name="twitter:card" content="player"' in html and "application/json+oembed" in html
    assert f"/replays/{replay.recording.pk}/#t=5" in html
    audio = Client().get(f"/clips/{shared.pk}/{token}.mp3")
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/mpeg"
    assert Client().get(f"/clips/{shared.pk}/{'x' * 16}.mp3").status_code == 404


def test_a_withdrawn_voice_takes_the_old_file_url_away(replay, shared, queued, django_capture_on_commit_callbacks):
    token = shared.m4a.rsplit("/", 1)[-1].removesuffix(".m4a")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(replay, "speaker").post(
            f"/clips/requests/{shared.voices.get(speaker=replay.speaker).pk}/answer/", {"answer": "no"}
        )
    assert Client().get(f"/clips/{shared.pk}/{token}.m4a").status_code == 404
    run_renders(queued)
    fresh = clip_of(shared.pk)
    new_token = fresh.m4a.rsplit("/", 1)[-1].removesuffix(".m4a")
    assert new_token != token
    assert Client().get(f"/clips/{shared.pk}/{new_token}.m4a").status_code == 200
    assert Client().get(f"/clips/{shared.pk}/{token}.m4a").status_code == 404


def test_only_the_asked_speaker_answers_and_hears_the_preview(replay, asking):
    voice = asking.voices.get(speaker=replay.speaker)
    for role in ROLES:
        client = client_for(replay, role)
        preview = client.get(f"/clips/requests/{voice.pk}/preview.mp3")
        answer = client.post(f"/clips/requests/{voice.pk}/answer/", {"answer": "yes"}, HTTP_ACCEPT="application/json")
        if role == "speaker":
            assert preview.status_code == 200 and preview["Content-Type"] == "audio/mpeg"
            assert preview["Cache-Control"] == "private, no-store"
            assert answer.status_code == 200 and answer.json()["request"]["answer"] == "yes"
        elif role == "guest":
            assert preview.status_code == answer.status_code == 302
        else:
            assert preview.status_code == answer.status_code == 404, role
    assert Voice.objects.get(pk=voice.pk).answer == "yes"
    bad = client_for(replay, "speaker").post(f"/clips/requests/{voice.pk}/answer/", {"answer": "perhaps"})
    assert bad.status_code == 400


def test_the_requests_inbox_lists_the_speakers_own_requests(replay, asking):
    page = client_for(replay, "cohost").get("/clips/requests/").content.decode()
    assert "Best bit" in page and "Allow my voice" in page
    assert "Best bit" not in client_for(replay, "outsider").get("/clips/requests/").content.decode()
    assert Client().get("/clips/requests/").status_code == 302


@pytest.mark.parametrize(
    ("action", "allowed"),
    [("drop", {"listener"}), ("delete", {"listener", "host"}), ("take-down", {"staff"})],
)
def test_who_may_press_each_clip_button(replay, asking, action, allowed):
    for role in ROLES:
        if role in allowed:
            continue
        response = client_for(replay, role).post(f"/clips/{asking.pk}/{action}/")
        assert response.status_code in (302, 403, 404), role
        if role == "guest":
            assert "/login" in response.url
        assert clip_of(asking.pk).state == Clip.State.ASKING, role
    for role in allowed:
        clip = services.do_clip_replay(replay.listener, replay.recording.pk, 5000, 15000, "", "")
        response = client_for(replay, role).post(f"/clips/{clip.pk}/{action}/")
        assert response.status_code == 302, role
        assert clip_of(clip.pk).is_gone, role


def test_share_without_is_the_creators_once_someone_said_no(replay, asking, queued, django_capture_on_commit_callbacks):
    for user, value in ((replay.host, "yes"), (replay.speaker, "no"), (replay.cohost, "no")):
        with django_capture_on_commit_callbacks(execute=True):
            services.do_answer(user, asking.voices.get(speaker=user).pk, value)
    for role in ("outsider", "speaker", "cohost", "host", "staff"):
        assert client_for(replay, role).post(f"/clips/{asking.pk}/share-without/").status_code in (403, 404), role
    assert client_for(replay, "listener").post(f"/clips/{asking.pk}/share-without/").status_code == 302
    run_renders(queued)
    assert clip_of(asking.pk).heard == [replay.host.pk]


def test_the_embed_and_oembed_serve_shared_clips_only(replay, asking, shared):
    embed = Client().get(f"/clips/{shared.pk}/embed/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed and "frame-ancestors *" in embed["Content-Security-Policy"]
    oembed = Client().get("/oembed", {"url": f"http://testserver/clips/{shared.pk}/"})
    assert oembed.status_code == 200 and oembed.json()["type"] == "rich" and "<iframe" in oembed.json()["html"]
    other = services.do_clip_replay(replay.speaker, replay.recording.pk, 21000, 29000, "", "")
    assert Client().get("/oembed", {"url": f"http://testserver/clips/{other.pk}/"}).status_code == 404
    assert Client().get(f"/clips/{other.pk}/embed/").status_code == 404
    assert Client().get("/oembed", {"url": "http://testserver/spaces/1/"}).status_code == 404
    assert Client().get("/oembed", {"url": "http://testserver/clips/1/", "format": "xml"}).status_code == 501


def test_the_host_switches_clips_off_and_on(replay):
    url = f"/spaces/{replay.space.pk}/clips-allowed/"
    for role in ("outsider", "listener", "speaker", "cohost", "staff"):
        assert client_for(replay, role).post(url, {"allowed": "0"}).status_code in (403, 404), role
    assert client_for(replay, "host").post(url, {"allowed": "0"}).status_code == 302
    replay.space.refresh_from_db()
    assert not replay.space.allow_clips
    refused = client_for(replay, "listener").post(
        f"/replays/{replay.recording.pk}/clip/", {"start": "5", "end": "15"}, HTTP_ACCEPT="application/json"
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "clips_off"


def test_the_standing_preference_on_the_profile(replay):
    client = client_for(replay, "speaker")
    page = client.get(f"/u/{replay.speaker.username}/").content.decode()
    assert "When someone clips your voice" in page
    assert "When someone clips your voice" not in client.get(f"/u/{replay.host.username}/").content.decode()
    assert client.post("/clips/preference/", {"choice": "never"}).status_code == 302
    assert services.preference(replay.speaker.pk) == "never"
    assert client.post("/clips/preference/", {"choice": "whenever"}).status_code == 400
    assert Client().post("/clips/preference/", {"choice": "never"}).status_code == 302


def test_the_replay_page_offers_the_clip_form_and_lists_shared_clips(replay, shared):
    page = client_for(replay, "outsider").get(f"/replays/{replay.recording.pk}/").content.decode()
    assert "Make clip" in page and f"/clips/{shared.pk}/" in page
    assert "Log in</a> to clip" in Client().get(f"/replays/{replay.recording.pk}/").content.decode()


def test_without_a_title_a_replay_clip_is_named_by_its_transcript(replay):
    vtt = b"WEBVTT\n\n00:00.000 --> 00:06.000\n<v hana>Welcome, everyone.\n\n00:06.000 --> 00:12.000\n<v sam>Thanks for having me on.\n"
    give_transcript(replay.recording, vtt, {"hana": replay.host, "sam": replay.speaker})
    client_for(replay, "listener").post(f"/replays/{replay.recording.pk}/clip/", {"start": "5", "end": "11"})
    assert Clip.objects.get().title == "Welcome, everyone. Thanks for having me on."
