"""On S3 the permission view answers with a short-lived signed URL instead of the bytes.
The URL is signed for real by boto3 (no network is needed to sign); only the existence check,
which would ask the bucket, is stood in for."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from storages.backends.s3 import S3Storage

from recordings.models import Recording, Render


@pytest.fixture
def s3(s3_storage, monkeypatch):
    monkeypatch.setattr(S3Storage, "exists", lambda self, name: name.startswith("recordings/"))
    assert default_storage.__class__.__name__ in ("S3Storage", "DefaultStorage")


@pytest.fixture
def recording(people):
    recording = Recording.objects.create(space=people.space, spans=[[0, 60_000]])
    recording.current = Render.objects.create(
        recording=recording,
        kind="original",
        state="ready",
        duration_ms=60_000,
        m4a=f"recordings/{recording.pk}/1/founders-talk.m4a",
    )
    recording.save()
    return recording


def test_a_download_on_s3_redirects_the_host_to_a_signed_url(client, people, s3, recording):
    client.force_login(people.host)
    response = client.get(reverse("recording_download", args=[recording.pk, "m4a"]))
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    query = parse_qs(url.query)
    assert url.netloc.startswith("roundtable-media.s3") and url.path.endswith("/founders-talk.m4a")
    assert "X-Amz-Signature" in query and query["X-Amz-Expires"] == ["3600"]
    assert query["response-content-disposition"] == ['attachment; filename="founders-talk.m4a"']


def test_on_s3_outsiders_still_get_nothing(client, people, s3, recording):
    client.force_login(people.listener)
    assert client.get(reverse("recording_download", args=[recording.pk, "m4a"])).status_code == 404
    assert client.get(reverse("replay_audio", args=[recording.pk, "m4a"])).status_code == 404
