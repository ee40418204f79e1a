"""Each host's podcast feed: their published replays as an RSS 2.0 feed with the iTunes tags
podcast apps read, the MP3 as the enclosure. /u/<username>/podcast.xml"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed

from recordings.models import Recording

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
EPISODES = 100


class PodcastFeedType(Rss201rev2Feed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:itunes": ITUNES}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        handler.addQuickElement("itunes:author", self.feed["author_name"])
        handler.addQuickElement("itunes:summary", self.feed["description"])
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:type", "episodic")
        handler.startElement("itunes:owner", {})
        handler.addQuickElement("itunes:name", self.feed["author_name"])
        handler.endElement("itunes:owner")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("itunes:duration", str(item["duration"]))
        handler.addQuickElement("itunes:summary", item["description"])
        handler.addQuickElement("itunes:episodeType", "full")


class HostPodcastFeed(Feed):
    feed_type = PodcastFeedType

    def get_object(self, request, username):
        host = get_object_or_404(get_user_model(), username=username, is_active=True)
        host.feed_request = request  # this request's own object: enclosures need absolute URLs
        return host

    def title(self, host):
        return f"{host.get_full_name() or host.username} on Roundtable"

    def link(self, host):
        return reverse("profile", args=[host.username])

    def feed_url(self, host):
        return reverse("podcast", args=[host.username])

    def description(self, host):
        return f"Replays of the live audio spaces {host.get_full_name() or host.username} hosted on Roundtable."

    def author_name(self, host):
        return host.get_full_name() or host.username

    @property
    def language(self):
        # Django reads `language` as a plain attribute (never called with the object), so a
        # method would be rendered as its repr.
        return settings.LANGUAGE_CODE

    def items(self, host):
        recordings = list(
            Recording.objects.published()
            .filter(space__host=host, current__mp3_bytes__gt=0)
            .select_related("space", "current")
            .order_by("-published_at")[:EPISODES]
        )
        for recording in recordings:
            path = reverse("replay_audio", args=[recording.pk, "mp3"])
            recording.enclosure_url = host.feed_request.build_absolute_uri(path)
        return recordings

    def item_title(self, recording):
        return recording.space.title

    def item_description(self, recording):
        return recording.space.description or recording.space.title

    def item_link(self, recording):
        return recording.get_absolute_url()

    def item_guid(self, recording):
        return f"roundtable-recording-{recording.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, recording):
        return recording.published_at

    def item_enclosures(self, recording):
        return [Enclosure(recording.enclosure_url, str(recording.current.mp3_bytes), "audio/mpeg")]

    def item_extra_kwargs(self, recording):
        return {"duration": recording.current.duration_ms // 1000}
