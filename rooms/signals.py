"""What rooms announces to the apps above it (recordings, clips, moderation), which react.

rooms imports no other app: when a space starts, ends or its recorder is switched, it sends
one of these and the higher app does its part. They are sent inside the transaction that made
the change, so what a receiver writes commits, or rolls back, with it."""

from django.dispatch import Signal

# space: the Space, now live (started_at set).
space_started = Signal()
# space: the Space, now ended (ended_at set). Not sent for a cancelled space: it never ran.
space_ended = Signal()
# space: the live Space; on: whether the recorder now runs; at: when it was switched.
recording_switched = Signal()
