from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from rooms.models import Participant, Space


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery")


class SpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Space
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Space number {n}")
    host = factory.SubFactory(UserFactory)
    state = Space.State.LIVE
    started_at = factory.LazyFunction(timezone.now)
    last_presence_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def host_participant(obj, create, extracted, **kwargs):
        if create:
            Participant.objects.get_or_create(space=obj, user=obj.host, defaults={"role": Participant.Role.HOST})


class ScheduledSpaceFactory(SpaceFactory):
    """A space scheduled for later (two hours from now unless told)."""

    state = Space.State.SCHEDULED
    started_at = None
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=2))


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    space = factory.SubFactory(SpaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Participant.Role.LISTENER
    present = True
    connections = 1
