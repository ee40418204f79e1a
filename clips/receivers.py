"""clips' part when recordings announces something (recordings/signals.py)."""

from django.dispatch import receiver

from clips import services
from recordings.signals import recording_voice_left


@receiver(recording_voice_left)
def leave_replay_clips(sender, recording, user, **kwargs):
    services.voice_left_recording(recording, user)
