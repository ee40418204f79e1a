"""The moderation copy around a report's moment, heard from the report's page: moderators
only, the window from 30 s before the moment to 90 s after it (clipped to the space's clock),
every voice or one, each listen in the audit log."""

import io
from datetime import timedelta

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from moderation.models import AuditEntry
from recordings.models import ModerationCopy
from rooms.media.tracks import closed_marker
from tests.admin_helpers import staff_with
from tests.audio import TONES, has_tone
from tests.moderation.conftest import end_space


def audio_url(report, speaker=None) -> str:
    url = reverse("admin:moderation_report_copy_audio", args=[report.pk])
    return f"{url}?speaker={speaker}" if speaker is not None else url


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def decode(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as container:
        return np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])


def test_it_gives_a_moderator_every_voice_of_the_window(people, moderator, report, copy, client):
    client.force_login(moderator)
    response = client.get(audio_url(report))

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    samples = decode(body(response))
    # 30 s before the moment (60 s) to 90 s after it: 120 s.
    assert abs(len(samples) / 48_000 - 120) < 0.1
    assert has_tone(samples, TONES["host"])
    assert has_tone(samples, TONES["speaker"])


def test_it_gives_one_voice_alone(people, moderator, report, copy, client):
    client.force_login(moderator)

    speaker_only = decode(body(client.get(audio_url(report, people.speaker.pk))))
    host_only = decode(body(client.get(audio_url(report, people.host.pk))))

    assert has_tone(speaker_only, TONES["speaker"]) and not has_tone(speaker_only, TONES["host"])
    assert has_tone(host_only, TONES["host"]) and not has_tone(host_only, TONES["speaker"])


def test_it_clips_the_window_to_the_space(people, moderator, report, copy, client):
    # The space ran 100 s: the window is 30 s to 100 s.
    space = people.space
    space.state, space.ended_at = "ended", space.started_at + timedelta(seconds=100)
    space.save(update_fields=["state", "ended_at"])
    client.force_login(moderator)

    samples = decode(body(client.get(audio_url(report))))

    assert abs(len(samples) / 48_000 - 70) < 0.1


def test_it_serves_ranges_of_an_ended_spaces_window(people, moderator, report, copy, client):
    client.force_login(moderator)
    whole = body(client.get(audio_url(report)))
    part = client.get(audio_url(report), HTTP_RANGE="bytes=100-199")

    assert part.status_code == 206
    assert body(part) == whole[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(whole)}"


def test_it_makes_a_live_spaces_window_afresh(people, moderator, report, copy, client):
    default_storage.delete(closed_marker(people.space.pk))
    client.force_login(moderator)
    response = client.get(audio_url(report))

    assert response.status_code == 200
    assert has_tone(decode(body(response)), TONES["speaker"])
    assert not default_storage.exists(f"spaces/{people.space.pk}/review")


def test_it_writes_one_audit_row_per_listen(people, moderator, report, copy, client):
    client.force_login(moderator)
    client.get(audio_url(report), HTTP_RANGE="bytes=0-")
    client.get(audio_url(report), HTTP_RANGE="bytes=5000-")  # the player seeking
    client.get(audio_url(report))  # the player reloading
    client.get(audio_url(report, people.speaker.pk))

    entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.action, e.actor_name, e.report_id, e.subject_user_id) for e in entries] == [
        (AuditEntry.Action.HEAR_COPY, "mona", report.pk, people.speaker.pk)
    ] * 2
    assert entries[0].reason == "0:30 to 2:30 of the space's clock, every voice."
    assert entries[1].reason.endswith(f"only sam (user {people.speaker.pk}).")


def test_it_writes_another_row_for_a_listen_later_on(people, moderator, report, copy, client, monkeypatch):
    client.force_login(moderator)
    client.get(audio_url(report))
    later = timezone.now() + timedelta(minutes=11)
    monkeypatch.setattr("moderation.admin.report_page.timezone.now", lambda: later)
    client.get(audio_url(report))

    assert AuditEntry.objects.count() == 2


def test_it_gives_a_live_spaces_window_before_its_copy_row_exists(people, moderator, report, copy, client):
    ModerationCopy.objects.filter(pk=copy.pk).delete()  # the row only comes when the space ends
    default_storage.delete(closed_marker(people.space.pk))
    client.force_login(moderator)
    response = client.get(audio_url(report, people.speaker.pk))

    assert response.status_code == 200
    assert has_tone(decode(body(response)), TONES["speaker"])


def test_it_says_when_the_copy_was_deleted(people, moderator, report, copy, client):
    end_space(people.space)
    ModerationCopy.objects.filter(pk=copy.pk).delete()
    client.force_login(moderator)
    response = client.get(audio_url(report))

    assert response.status_code == 404
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("speaker", ["abc", "-1", "²", "١"])
def test_it_refuses_a_malformed_speaker(moderator, report, copy, client, speaker):
    client.force_login(moderator)

    assert client.get(audio_url(report, speaker)).status_code == 400


def test_it_refuses_a_speaker_without_a_track(people, moderator, report, copy, client):
    client.force_login(moderator)

    assert client.get(audio_url(report, people.listener.pk)).status_code == 404
    assert client.get(audio_url(report, "9" * 400)).status_code == 404
    assert not AuditEntry.objects.exists()


def test_it_answers_404_for_a_report_that_does_not_exist(moderator, client, db):
    client.force_login(moderator)

    assert client.get(reverse("admin:moderation_report_copy_audio", args=[987654])).status_code == 404


@pytest.mark.parametrize("persona", ["staff", "viewer"])
def test_it_refuses_staff_who_are_not_moderators(people, report, copy, client, persona):
    # A viewer may read and change reports in the admin, but is not in the Moderators group.
    user = staff_with(people.staff, "view_report", "change_report") if persona == "viewer" else people.staff
    client.force_login(user)

    assert client.get(audio_url(report)).status_code == 403
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("persona", ["host", "cohost", "speaker", "listener", "outsider"])
def test_it_sends_people_who_are_not_staff_to_the_admin_login(people, report, copy, client, persona):
    client.force_login(getattr(people, persona))
    response = client.get(audio_url(report))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_sends_a_guest_to_the_admin_login(report, copy, client):
    response = client.get(audio_url(report))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
