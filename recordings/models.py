"""A space's audio after (and while) it happens.

- ModerationCopy: every space's program and per-speaker tracks, kept for the retention period
  after the space ends (whether or not the host records), then deleted by a beat job unless a
  moderation Hold is on the space.
- Recording: what the host chose to record: the recorded spans on the space's clock, who is in
  it, the host's non-destructive edit list, published or not.
- Render: one mixdown of a recording (the original, or one edit list) into M4A + MP3 with
  waveform peaks, made by Celery; its files are only pointed at once all of them are written.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from rooms.models import Space


class ModerationCopy(models.Model):
    space = models.OneToOneField(Space, on_delete=models.CASCADE, related_name="moderation_copy")
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the space ends: ended_at + the retention period.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set by the retention job's conditional update while it deletes the files.
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "moderation copies"

    def __str__(self):
        return f"Moderation copy of space {self.space_id}"


def empty_edits() -> dict:
    return {"trim_start_ms": 0, "trim_end_ms": None, "cuts": []}


class RecordingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False, deleted_at__isnull=True, current__state="ready")


class Recording(models.Model):
    space = models.OneToOneField(Space, on_delete=models.CASCADE, related_name="saved_recording")
    # [[start_ms, end_ms or null while recording], ...] on the space's clock.
    spans = models.JSONField(default=list)
    speakers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="recorded_in")
    edits = models.JSONField(default=empty_edits)
    # Bumped by every saved edit; an edit made against an older version is refused.
    edits_version = models.PositiveIntegerField(default=0)
    original = models.ForeignKey("Render", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    current = models.ForeignKey("Render", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The host deleted it: its files are gone, the page says so.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Never published and its moderation copy's retention ended: files deleted with it.
    expired_at = models.DateTimeField(null=True, blank=True)
    play_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RecordingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Recording of {self.space}"

    def get_absolute_url(self):
        return reverse("replay", args=[self.pk])

    @property
    def is_published(self):
        return self.published_at is not None and self.deleted_at is None

    @property
    def is_gone(self):
        return self.deleted_at is not None or self.expired_at is not None

    @property
    def duration_ms(self) -> int:
        return sum(end - start for start, end in self.spans if end is not None)


def render_stale_before(now=None):
    """A queued or running render with no sign of life since then is taken as abandoned."""
    return (now or timezone.now()) - timedelta(seconds=settings.RECORDINGS["RENDER_STALE_SECONDS"])


class RenderQuerySet(models.QuerySet):
    def live(self, now=None):
        """Queued or running, and heard from lately: a worker has it or is about to."""
        return self.filter(state__in=Render.ACTIVE, heartbeat_at__gte=render_stale_before(now))

    def stale(self, now=None):
        """Queued or running, and silent too long: its worker died, or its message was lost."""
        return self.filter(state__in=Render.ACTIVE, heartbeat_at__lt=render_stale_before(now))


class Render(models.Model):
    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original"
        EDITED = "edited", "Edited"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    ACTIVE = (State.QUEUED, State.RUNNING)

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="renders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    edits = models.JSONField(default=empty_edits)
    edits_version = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.FloatField(default=0)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life: set when queued and claimed, and by every progress write (twice a
    # second while rendering), so a render silent for RENDER_STALE_SECONDS has lost its worker.
    heartbeat_at = models.DateTimeField(default=timezone.now)
    m4a = models.CharField(max_length=200, blank=True)
    mp3 = models.CharField(max_length=200, blank=True)
    # Sizes of the stored files: podcast feeds announce the enclosure's length.
    m4a_bytes = models.PositiveBigIntegerField(default=0)
    mp3_bytes = models.PositiveBigIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    peaks = models.JSONField(default=list, blank=True)
    # Remade because a voice left the recording after the end: it takes the place of the
    # version the replay plays as soon as it is ready (the older files are already gone).
    replaces_current = models.BooleanField(default=False)
    loudness_lufs = models.FloatField(null=True, blank=True)
    # The published transcript of this version, on its own timeline (edits applied, voices
    # that left the recording absent): [{"start": ms, "end": ms, "user": id, "voice": name,
    # "text": "one or two lines"}], made from the space's Transcript (recordings/transcripts.py).
    cues = models.JSONField(default=list, blank=True)
    # The same words as plain text, for search (a GIN index on PostgreSQL).
    transcript_text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RenderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} render of recording {self.recording_id} ({self.state})"

    @property
    def is_ready(self):
        return self.state == self.State.READY

    @property
    def is_stale(self):
        return self.state in self.ACTIVE and self.heartbeat_at < render_stale_before()


class Transcript(models.Model):
    """What every voice of a space said, on the space's clock: each speaker's track
    transcribed on its own (so who said what needs no guessing). Part of the moderation copy:
    it holds everyone, opted out or not, is read by staff, and goes with the copy. The
    published transcript of a recording is made from it per version (Render.cues)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Transcribing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    ACTIVE = (State.QUEUED, State.RUNNING)

    space = models.OneToOneField(Space, on_delete=models.CASCADE, related_name="transcript")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.FloatField(default=0)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Storage name of the segments (JSON, under the space's folder so it goes with the copy):
    # [{"user": id, "start": ms, "end": ms, "text": "...", "words": [[start ms, end ms, "word"], ...]}]
    segments = models.CharField(max_length=200, blank=True)
    words = models.PositiveIntegerField(default=0)
    # Seconds of voiced audio transcribed and the seconds that took: the real-time factor.
    voiced_seconds = models.FloatField(default=0)
    took_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Transcript of space {self.space_id} ({self.state})"

    @property
    def is_ready(self):
        return self.state == self.State.READY

    @property
    def is_active(self):
        return self.state in self.ACTIVE
