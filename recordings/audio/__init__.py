"""Turning a space's per-speaker tracks into finished audio files (no Django models in here:
the Celery task and the benchmark both call it)."""
