from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import json_script
from django.utils.timesince import timesince

from recordings.models import Recording
from recordings.timeline import fmt
from rooms.models import Participant

register = template.Library()


@register.filter
def duration(ms) -> str:
    """3723000 -> '1:02:03'; 95000 -> '1:35'."""
    return fmt(ms or 0, tenths=False)


@register.filter
def seconds_clock(seconds) -> str:
    return duration(float(seconds or 0) * 1000)


@register.simple_tag
def peaks_script(render):
    """The waveform peaks as a JSON script element the player reads."""
    return json_script(render.peaks, f"peaks-{render.pk}")


@register.simple_tag(takes_context=True)
def space_recording(context, space):
    """The recording of an ended space as its page may show it: published ones to everyone,
    the rest to the host and staff only; None otherwise."""
    from recordings.services import may_play

    recording = Recording.objects.filter(space=space).select_related("current", "space").first()
    return recording if recording is not None and may_play(context["request"].user, recording) else None


@register.filter
def ago(when) -> str:
    """'just now' under a minute, else '3 hours ago'."""
    if when is None:
        return ""
    if timezone.now() - when < timedelta(minutes=1):
        return "just now"
    return f"{timesince(when)} ago"


# The rooms pages (home, profile) show replays without rooms importing recordings: the
# templates ask for them here.
@register.simple_tag
def recent_replays(count=6):
    return Recording.objects.published().select_related("space__host", "current").order_by("-published_at")[:count]


@register.simple_tag
def host_replays(person, count=20):
    return (
        Recording.objects.published()
        .filter(space__host=person)
        .select_related("space__host", "current")
        .order_by("-published_at")[:count]
    )


@register.simple_tag(takes_context=True)
def unpublished_recordings(context, person, count=20):
    """The host's own recordings not published yet: shown to that host only."""
    if context["request"].user != person:
        return []
    return (
        Recording.objects.filter(
            space__host=person, published_at__isnull=True, deleted_at__isnull=True, expired_at__isnull=True
        )
        .select_related("space", "current")
        .order_by("-created_at")[:count]
    )


@register.simple_tag(takes_context=True)
def my_voice_in(context, space):
    """The recording of an ended space in which the viewer is heard (and has not taken their
    voice out): the space page offers them to take it out, before or after publication."""
    user = context["request"].user
    if not user.is_authenticated:
        return None
    opted_out = Participant.objects.filter(space=space, user=user, recording_opt_out=True)
    if opted_out.exists():
        return None
    return Recording.objects.filter(
        space=space, speakers=user, deleted_at__isnull=True, expired_at__isnull=True
    ).first()
