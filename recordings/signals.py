"""What recordings announces to the apps above it (clips, moderation), which react."""

from django.dispatch import Signal

# recording: the Recording; user: the speaker who took their voice out of it after the end.
# Sent inside the transaction that made the change.
recording_voice_left = Signal()
