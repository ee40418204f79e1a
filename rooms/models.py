from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Topic(models.Model):
    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MediaNode(models.Model):
    """A running media engine: the web process's embedded one, or a `manage.py media_engine`."""

    name = models.CharField(max_length=120, unique=True)
    channel = models.CharField(max_length=200)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.name


class SpaceQuerySet(models.QuerySet):
    def live(self):
        return self.filter(state=Space.State.LIVE)

    def upcoming(self):
        return self.filter(state=Space.State.SCHEDULED)

    def ended(self):
        return self.filter(state=Space.State.ENDED)


class Space(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    topics = models.ManyToManyField(Topic, blank=True, related_name="spaces")
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_spaces")
    state = models.CharField(max_length=12, choices=State.choices, default=State.SCHEDULED, db_index=True)

    # Chosen by the host at creation.
    record = models.BooleanField(default=False, help_text="Record this space")
    allow_clips = models.BooleanField(default=True)
    captions = models.BooleanField(default=False)
    # Whether the recorder is running right now (the host may pause it later).
    recording = models.BooleanField(default=False)

    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Presence: guests have no row of their own, so they are a counter; the last time
    # anyone was connected tells the beat job when a live space was left empty.
    guest_listeners = models.PositiveIntegerField(default=0)
    # Set once the "is live" notifications went out, so a retried job sends none twice.
    start_notified_at = models.DateTimeField(null=True, blank=True)
    # The media engine mixing this space; reassigned when its heartbeat stops.
    media_node = models.ForeignKey(MediaNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="spaces")
    last_presence_at = models.DateTimeField(null=True, blank=True)

    objects = SpaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "scheduled_for"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("space", args=[self.pk])

    @property
    def is_live(self):
        return self.state == self.State.LIVE

    @property
    def is_open(self):
        """Scheduled or live: people can still come."""
        return self.state in (self.State.SCHEDULED, self.State.LIVE)


class Participant(models.Model):
    """A logged-in person's place in one space: their role and what they are doing."""

    class Role(models.TextChoices):
        HOST = "host", "Host"
        COHOST = "cohost", "Co-host"
        SPEAKER = "speaker", "Speaker"
        LISTENER = "listener", "Listener"

    STAGE_ROLES = (Role.HOST, Role.COHOST, Role.SPEAKER)
    MODERATOR_ROLES = (Role.HOST, Role.COHOST)

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.LISTENER)

    hand_raised_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    muted = models.BooleanField(default=True)
    # Set when a host or co-host muted them: they cannot unmute until it is lifted.
    muted_by_moderator = models.BooleanField(default=False)
    removed = models.BooleanField(default=False)
    # Their voice is left out of the published recording (the moderation copy keeps it).
    recording_opt_out = models.BooleanField(default=False)

    # Open sockets of this person in this space (several tabs count once).
    connections = models.PositiveIntegerField(default=0)
    present = models.BooleanField(default=False)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["space", "user"], name="one_participant_per_user")]
        indexes = [models.Index(fields=["space", "present", "role"])]

    def __str__(self):
        return f"{self.user} in {self.space_id} as {self.role}"

    @property
    def on_stage(self):
        return self.role in self.STAGE_ROLES

    @property
    def is_moderator(self):
        return self.role in self.MODERATOR_ROLES


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "host"], name="follow_once")]

    def __str__(self):
        return f"{self.follower} follows {self.host}"


class Reminder(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="reminders")
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "space"], name="remind_once")]

    def __str__(self):
        return f"Remind {self.user} of {self.space}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=200)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.text


class SuspensionQuerySet(models.QuerySet):
    def in_force(self, now=None):
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(models.Q(until__isnull=True) | models.Q(until__gt=now))


class Suspension(models.Model):
    """A user barred from the site until a time (or for good): refused at sign-in, on the room
    socket, on stage and when clipping, and signed out of every session. Staff suspend through
    moderation; rooms enforces it (rooms/accounts.py), so it lives here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions")
    # None: for good.
    until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SuspensionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "lifted_at"])]

    def __str__(self):
        return f"{self.user} suspended {'for good' if self.until is None else f'until {self.until:%Y-%m-%d %H:%M}'}"


class Block(models.Model):
    """`blocker` keeps `blocked` away: out of the spaces the blocker hosts, off their stage, out
    of clips of their voice, and their reactions are not shown to the blocker."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="no_self_block"),
        ]

    def __str__(self):
        return f"{self.blocker} blocks {self.blocked}"


class StageChange(models.Model):
    """Who was in a space and in which role, over time: one row each time someone arrives,
    changes role, leaves or is removed. Staff read it to see who was on stage at a reported
    moment (the Participant row holds only the current role)."""

    class Kind(models.TextChoices):
        HOST = "host", "Host"
        COHOST = "cohost", "Co-host"
        SPEAKER = "speaker", "Speaker"
        LISTENER = "listener", "Listener"
        LEFT = "left", "Left"
        REMOVED = "removed", "Removed"

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="stage_changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The role from `at` on (or left/removed).
    role = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["space", "at"])]

    def __str__(self):
        return f"{self.user} {self.role} in {self.space_id} at {self.at:%H:%M:%S}"
