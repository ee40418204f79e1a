"""Which engine mixes which space: registration, heartbeats and (re)assignment, in the database
so that web processes and engines on other hosts agree."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from rooms.errors import Conflict
from rooms.models import MediaNode, Space


def _alive_since():
    return timezone.now() - timedelta(seconds=settings.MEDIA_ENGINE["DEAD_AFTER_SECONDS"])


def do_register_node(name: str, channel: str) -> MediaNode:
    now = timezone.now()
    node, _ = MediaNode.objects.update_or_create(
        name=name, defaults={"channel": channel, "started_at": now, "heartbeat_at": now}
    )
    return node


def do_heartbeat(name: str) -> None:
    MediaNode.objects.filter(name=name).update(heartbeat_at=timezone.now())


def do_retire_node(name: str) -> None:
    MediaNode.objects.filter(name=name).delete()


def access_engine_channel(space_id: int) -> str:
    """The channel of the engine for this space, assigning a live one if it has none or its
    engine stopped sending heartbeats (its speakers then reconnect to the new one)."""
    alive_since = _alive_since()
    space = Space.objects.select_related("media_node").get(pk=space_id)
    current = space.media_node
    if current is not None and current.heartbeat_at >= alive_since:
        return current.channel
    candidates = (
        MediaNode.objects.filter(heartbeat_at__gte=alive_since)
        .annotate(load=Count("spaces", filter=Q(spaces__state=Space.State.LIVE)))
        .order_by("load", "pk")
    )
    choice = candidates.first()
    if choice is None:
        raise Conflict("No media engine is running: audio is unavailable right now.", code="no_media_engine")
    # Conditional: if another web process assigned one meanwhile, use theirs.
    claimed = Space.objects.filter(pk=space_id, media_node=current).update(media_node=choice)
    if not claimed:
        return Space.objects.select_related("media_node").get(pk=space_id).media_node.channel
    return choice.channel
