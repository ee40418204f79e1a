"""Moderation records. Holds are here now because retention needs them; reports, actions and
the audit log arrive with the moderation issue and will create holds."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from rooms.models import Space


class HoldQuerySet(models.QuerySet):
    def active(self):
        return self.filter(released_at__isnull=True)


class Hold(models.Model):
    """Keeps a space's moderation copy past its retention period until released."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(max_length=200)
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
