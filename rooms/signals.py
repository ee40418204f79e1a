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

# The web process's own media engine (MEDIA_ENGINE_MODE=embedded) started or stopped on the
# running event loop; engine: the MediaEngine. Sent with `asend` from that loop (no
# transaction): recordings starts and stops the in-process captioner beside it.
embedded_engine_started = Signal()
embedded_engine_stopped = Signal()
