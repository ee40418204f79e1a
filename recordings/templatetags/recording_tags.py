from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import json_script
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def duration(ms) -> str:
    """3723000 -> '1:02:03'; 95000 -> '1:35'."""
    seconds = int(ms or 0) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


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
    from recordings.models import Recording
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
