"""A host's podcast feed: RSS 2.0 with iTunes tags, their published replays only, each with its
MP3 as the enclosure (exact byte length, playable by anyone)."""

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Recording
from recordings.tasks import render_recording
from tests.factories import SpaceFactory
from tests.recordings.conftest import end_recorded_space, write_voice

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


def rendered(space, *, published: bool) -> Recording:
    write_voice(space.pk, space.host.pk, 500, 0, 6)
    recording = end_recorded_space(space, [(0, 6)], 6)
    assert render_recording(recording.renders.get().pk) == "ready"
    if published:
        Recording.objects.filter(pk=recording.pk).update(published_at=timezone.now())
    recording.refresh_from_db()
    return recording


@pytest.fixture
def episodes(people):
    host = people.host
    published = rendered(people.space, published=True)
    private = rendered(SpaceFactory(host=host, title="Kept private"), published=False)
    deleted = rendered(SpaceFactory(host=host, title="Taken down"), published=True)
    Recording.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    someone_elses = rendered(SpaceFactory(title="Another host's show"), published=True)
    return published, private, deleted, someone_elses


def test_the_feed_lists_only_the_hosts_published_replays_with_playable_enclosures(client, people, episodes):
    published = episodes[0]
    response = client.get(reverse("podcast", args=["hana"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("title") == "hana on Roundtable"
    assert channel.findtext(f"{ITUNES}author") == "hana"
    assert channel.findtext("link").endswith(reverse("profile", args=["hana"]))
    assert channel.findtext("language") == "en-us"

    [item] = channel.findall("item")
    assert item.findtext("title") == "Founders talk"
    assert item.findtext("guid") == f"roundtable-recording-{published.pk}"
    assert item.findtext(f"{ITUNES}duration") == "6"
    assert parsedate_to_datetime(item.findtext("pubDate")) == published.published_at.replace(microsecond=0)
    enclosure = item.find("enclosure")
    assert enclosure.get("type") == "audio/mpeg"
    assert enclosure.get("url") == f"http://testserver{reverse('replay_audio', args=[published.pk, 'mp3'])}"
    audio = client.get(enclosure.get("url").removeprefix("http://testserver"))  # a podcast app, not logged in
    body = b"".join(audio.streaming_content)
    assert audio.status_code == 200 and int(enclosure.get("length")) == len(body) > 10_000


def test_an_unknown_host_has_no_feed_and_a_host_without_replays_an_empty_one(client, people):
    assert client.get(reverse("podcast", args=["nobody"])).status_code == 404
    channel = ET.fromstring(client.get(reverse("podcast", args=["otto"])).content).find("channel")
    assert channel.findall("item") == []


def test_the_profile_offers_the_feed_once_there_are_replays(client, people, episodes):
    page = client.get(reverse("profile", args=["hana"])).content.decode()
    assert 'type="application/rss+xml"' in page and reverse("podcast", args=["hana"]) in page


def test_podcast_apps_can_ask_head_and_ranges_of_the_enclosure(client, people, episodes):
    """Podcast apps send HEAD for the size and type before they download, then ranges."""
    url = reverse("replay_audio", args=[episodes[0].pk, "mp3"])
    size = episodes[0].current.mp3_bytes

    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"] == "audio/mpeg" and head["Content-Length"] == str(size)
    assert head["Accept-Ranges"] == "bytes"
    part = client.head(url, HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 0-99/{size}"
    assert part["Content-Length"] == "100" and part.content == b""
