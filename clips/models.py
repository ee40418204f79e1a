"""Audience clips and the consent of every voice in them.

- Clip: a range of a space's clock (a live space's last seconds, or a range of a replay) that
  someone cut. Its audio is mixed only from the voices that said yes.
- Voice: one speaker audible in a clip and their answer (the consent request). The clipper's
  own voice is a yes; a standing preference answers for the others or leaves them asked.
- ConsentPreference: a person's standing answer to clip requests.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from recordings.models import Recording
from rooms.models import Space


class ConsentPreference(models.Model):
    class Choice(models.TextChoices):
        ALWAYS = "always", "Always allow clips of my voice"
        ASK = "ask", "Ask me each time"
        NEVER = "never", "Never allow clips of my voice"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clip_preference")
    choice = models.CharField(max_length=8, choices=Choice.choices, default=Choice.ASK)

    def __str__(self):
        return f"{self.user}: {self.choice}"


class ClipQuerySet(models.QuerySet):
    def shared(self):
        return self.filter(state=Clip.State.PUBLISHED)


class Clip(models.Model):
    class Source(models.TextChoices):
        LIVE = "live", "Live"
        REPLAY = "replay", "Replay"

    class State(models.TextChoices):
        COLLECTING = "collecting", "Collecting the audio"
        ASKING = "asking", "Waiting for the speakers"
        DECIDE = "decide", "Some speakers said no"
        RENDERING = "rendering", "Being made"
        PUBLISHED = "published", "Shared"
        DROPPED = "dropped", "Dropped"
        TAKEN_DOWN = "taken_down", "Taken down"

    class Audiogram(models.TextChoices):
        NONE = "", "Not made"
        QUEUED = "queued", "Waiting to be made"
        RUNNING = "running", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be made"

    GONE = (State.DROPPED, State.TAKEN_DOWN)
    # Still reading the space's tracks: they are kept until the clip is made or gone.
    OPEN = (State.COLLECTING, State.ASKING, State.DECIDE, State.RENDERING)

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="clips")
    recording = models.ForeignKey(Recording, null=True, blank=True, on_delete=models.SET_NULL, related_name="clips")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clips")
    source = models.CharField(max_length=8, choices=Source.choices)
    # The ranges of the space's clock the clip plays, in order ([[start_ms, end_ms], ...]):
    # one for a live clip, more for a replay range that spans an edit's cut.
    ranges = models.JSONField(default=list)
    # Where it starts on the replay (for "Play in the replay"); null for a live clip.
    replay_ms = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=120)
    caption = models.CharField(max_length=280, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.ASKING, db_index=True)
    # Set when the creator chose to share without the voices that said no.
    without_declined = models.BooleanField(default=False)
    # The rendered files: fresh names at every render, so no cache keeps an older mix.
    m4a = models.CharField(max_length=200, blank=True)
    mp3 = models.CharField(max_length=200, blank=True)
    peaks = models.JSONField(default=list, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # The user ids mixed into the current files.
    heard = models.JSONField(default=list, blank=True)
    # Bumped whenever the set of consenting voices changes: a render made for an older set
    # is thrown away instead of being shown.
    version = models.PositiveIntegerField(default=0)
    rendered_version = models.PositiveIntegerField(default=0)
    render_error = models.CharField(max_length=300, blank=True)
    # The MP4 audiogram of the current files (made on request, from clip.m4a), under a fresh
    # name too; gone whenever the files it was made from are.
    audiogram = models.CharField(max_length=200, blank=True)
    audiogram_state = models.CharField(max_length=8, choices=Audiogram.choices, default=Audiogram.NONE, blank=True)
    audiogram_progress = models.FloatField(default=0.0)
    # The rendered_version of the files it is (being) made from.
    audiogram_version = models.PositiveIntegerField(default=0)
    play_count = models.PositiveIntegerField(default=0)
    takedown_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ClipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("clip", args=[self.pk])

    @property
    def start_ms(self) -> int:
        return self.ranges[0][0] if self.ranges else 0

    @property
    def length_ms(self) -> int:
        return sum(b - a for a, b in self.ranges)

    @property
    def is_gone(self) -> bool:
        return self.state in self.GONE


class Voice(models.Model):
    """A speaker heard in a clip, and whether they let it be shared with their voice."""

    class Answer(models.TextChoices):
        PENDING = "pending", "Not answered yet"
        YES = "yes", "Allowed"
        NO = "no", "Declined"
        EXPIRED = "expired", "Did not answer in time"

    # Answers that keep a voice out of the clip.
    OUT = (Answer.PENDING, Answer.NO, Answer.EXPIRED)

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="voices")
    speaker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clip_requests")
    answer = models.CharField(max_length=8, choices=Answer.choices, default=Answer.PENDING, db_index=True)
    # How it was answered: by the person, or by their standing preference or opt-out.
    by_preference = models.BooleanField(default=False)
    asked_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]
        constraints = [models.UniqueConstraint(fields=["clip", "speaker"], name="one_voice_per_speaker")]

    def __str__(self):
        return f"{self.speaker} in clip {self.clip_id}: {self.answer}"

    @property
    def is_in(self) -> bool:
        return self.answer == self.Answer.YES
