"""Moderation records: reports from users, the holds that keep a space's moderation copy
while someone looks into it, and the append-only audit log of what staff did."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from clips.models import Clip
from recordings.models import Recording
from rooms.models import Space


class HoldQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(released_at__isnull=True).filter(models.Q(until__isnull=True) | models.Q(until__gt=now))


class Hold(models.Model):
    """Keeps a space's moderation copy past its retention period until released (or, for a
    report's hold, until `until`: MODERATION_HOLD_MAX_DAYS after it was placed)."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(max_length=200)
    # The report that placed it (None: placed by staff by hand).
    report = models.ForeignKey("Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="holds")
    until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["space", "released_at"])]

    def __str__(self):
        state = "released" if self.released_at else "active"
        return f"Hold on space {self.space_id} ({state}): {self.reason}"


class Report(models.Model):
    """Someone signed in says a space, a speaker in it, a recording, a clip or a user breaks
    the rules. One open report per reporter and target: reporting again adds to it."""

    class Kind(models.TextChoices):
        SPACE = "space", "Space"
        SPEAKER = "speaker", "Speaker in a space"
        RECORDING = "recording", "Recording"
        CLIP = "clip", "Clip"
        USER = "user", "User"

    class Category(models.TextChoices):
        HARASSMENT = "harassment", "Harassment or bullying"
        HATE = "hate", "Hate speech"
        SPAM = "spam", "Spam or scam"
        IMPERSONATION = "impersonation", "Impersonation"
        SEXUAL = "sexual", "Sexual content"
        SELF_HARM = "self_harm", "Self-harm or suicide"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved (action taken)"
        DISMISSED = "dismissed", "Dismissed (no action)"

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    text = models.TextField(max_length=2000, blank=True)
    # What is reported: the space it happened in (every kind but a bare user has one), the
    # person (speaker, user; the clipper of a clip, the host of a recording), the recording, the clip.
    space = models.ForeignKey(Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    reported_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_against"
    )
    recording = models.ForeignKey(Recording, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    clip = models.ForeignKey(Clip, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Where on the space's clock (ms from its start) it happened: live reports record the
    # moment they were sent; a clip's is its start; a replay's is the player's position.
    moment_ms = models.PositiveBigIntegerField(null=True, blank=True)
    # Filed while the space was live (with retention 0 such a copy is kept: the Clubhouse rule).
    during_space = models.BooleanField(default=False)
    # How many times this reporter reported this target while the report was open.
    times = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    # What staff decided, told to the reporter.
    outcome = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("moderate", "Can act on reports and hear moderation copies")]
        indexes = [
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["reported_user", "status"]),
            models.Index(fields=["space", "status"]),
        ]

    def __str__(self):
        return f"Report #{self.pk}: {self.get_kind_display()} ({self.get_category_display()})"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class AppendOnly(Exception):
    """An audit entry was to be changed or deleted."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("The moderation audit log is append-only.")

    def delete(self):
        raise AppendOnly("The moderation audit log is append-only.")


class AuditEntry(models.Model):
    """One thing staff did, for good: who, when, what, to what and why. Rows are only ever
    added: the admin shows them read-only, the model refuses updates and deletes on any
    database, and on PostgreSQL a trigger refuses UPDATE and DELETE on the table itself
    (moderation/migrations). No foreign keys, so deleting a user or a space changes no row
    here: names and ids are copied in."""

    class Action(models.TextChoices):
        END_SPACE = "end_space", "Ended a space"
        REMOVE_SPEAKER = "remove_speaker", "Removed someone from a space"
        MUTE_SPEAKER = "mute_speaker", "Muted a speaker"
        SUSPEND_USER = "suspend_user", "Suspended a user"
        LIFT_SUSPENSION = "lift_suspension", "Lifted a suspension"
        TAKE_DOWN_RECORDING = "take_down_recording", "Took down a recording"
        TAKE_DOWN_CLIP = "take_down_clip", "Took down a clip"
        RESOLVE_REPORT = "resolve_report", "Resolved a report"
        DISMISS_REPORT = "dismiss_report", "Dismissed a report"
        PLACE_HOLD = "place_hold", "Placed a hold"
        RELEASE_HOLD = "release_hold", "Released a hold"
        HEAR_COPY = "hear_copy", "Listened to a moderation copy"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=30, choices=Action.choices, db_index=True)
    target_kind = models.CharField(max_length=20)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200)
    # The user the action was about, when there is one: the report page lists earlier actions.
    subject_user_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    report_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.get_action_display()} {self.target_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("The moderation audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The moderation audit log is append-only.")


class WindowTranscript(models.Model):
    """What was said around a report's moment, transcribed on a moderator's request from the
    moderation copy when the space has no transcript: each voice's track on its own, over
    [start_ms, end_ms) of the space's clock. Goes with the report."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Transcribing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="window_transcript")
    start_ms = models.PositiveBigIntegerField()
    end_ms = models.PositiveBigIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # [{"user": id, "start": ms, "end": ms, "text": "..."}] on the space's clock, in time order.
    segments = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Transcript around report {self.report_id} ({self.state})"
