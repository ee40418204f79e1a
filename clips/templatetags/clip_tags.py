"""Clips on the pages of the apps below: a replay's clips and clip form, a person's clips and
their standing answer to clip requests (rooms and recordings never import clips)."""

from django import template
from django.conf import settings

from clips.models import Clip, ConsentPreference
from clips.services import preference

register = template.Library()


@register.simple_tag
def replay_clips(recording, limit: int = 12):
    return list(Clip.objects.shared().filter(recording=recording).select_related("creator")[:limit])


@register.simple_tag
def person_clips(person, limit: int = 12):
    return list(Clip.objects.shared().filter(creator=person).select_related("space")[:limit])


@register.simple_tag
def clip_preference(user):
    return preference(user.pk) if user.is_authenticated else ConsentPreference.Choice.ASK


@register.simple_tag
def clip_choices():
    return ConsentPreference.Choice.choices


@register.simple_tag
def clip_max_seconds():
    return settings.CLIPS["MAX_SECONDS"]
