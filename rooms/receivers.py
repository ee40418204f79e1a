"""rooms' own jobs that react to what its services announce (rooms/signals.py), so the
services never import the tasks that import them."""

from django.db import transaction
from django.dispatch import receiver

from rooms.signals import space_started
from rooms.tasks import notify_space_started


@receiver(space_started)
def queue_start_notifications(sender, space, **kwargs):
    transaction.on_commit(lambda: notify_space_started.delay(space.pk))
