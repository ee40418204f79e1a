"""Telling people a space started: in-app notifications and reminder emails."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rooms.models import Follow, Notification, Reminder, Space


def do_notify_space_started(space_id: int) -> int:
    """Notify reminder holders (in-app and email) and the host's followers (in-app).

    Each reminder is claimed with a conditional update and the followers' fan-out with
    one on the space, so a retried job never notifies anyone twice.
    """
    space = Space.objects.select_related("host").filter(pk=space_id, state=Space.State.LIVE).first()
    if space is None:
        return 0
    url = space.get_absolute_url()
    text = f"{space.host.username} is live: {space.title}"[:200]
    sent = 0
    reminders = Reminder.objects.filter(space=space, notified_at__isnull=True).select_related("user")
    for reminder in reminders:
        with transaction.atomic():
            if not Reminder.objects.filter(pk=reminder.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
                continue
            Notification.objects.create(user=reminder.user, text=text, url=url)
        if reminder.user.email:
            send_mail(
                subject=f"Starting now: {space.title}",
                message=f"{text}\n\nJoin: {settings.SITE_URL}{url}\n",
                from_email=None,
                recipient_list=[reminder.user.email],
                fail_silently=True,
            )
        sent += 1
    if Space.objects.filter(pk=space.pk, start_notified_at__isnull=True).update(start_notified_at=timezone.now()):
        reminded = Reminder.objects.filter(space=space).values("user_id")
        followers = Follow.objects.filter(host=space.host).exclude(follower_id__in=reminded)
        Notification.objects.bulk_create([Notification(user_id=f.follower_id, text=text, url=url) for f in followers])
        sent += followers.count()
    return sent


def due_no_show_spaces():
    grace = timedelta(minutes=settings.ROUNDTABLE["NO_SHOW_GRACE_MINUTES"])
    return Space.objects.filter(state=Space.State.SCHEDULED, scheduled_for__lt=timezone.now() - grace)


def empty_live_spaces():
    """Live spaces nobody has been connected to for EMPTY_SPACE_MINUTES."""
    quiet_since = timezone.now() - timedelta(minutes=settings.ROUNDTABLE["EMPTY_SPACE_MINUTES"])
    occupied = Q(participants__connections__gt=0)
    return (
        Space.objects.filter(state=Space.State.LIVE, guest_listeners=0)
        .filter(Q(last_presence_at__lt=quiet_since) | Q(last_presence_at__isnull=True))
        .exclude(occupied)
    )
