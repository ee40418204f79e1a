"""What keeps a moderation copy past its retention, decided by the apps above recordings.

recordings never imports moderation: moderation registers a function here (in its
AppConfig.ready) returning the ids of spaces whose copies it holds, as a values queryset, so
the retention job's query stays one SQL statement and a hold is read when the job runs, with
no copy of it to keep in step."""

from collections.abc import Callable

from django.db.models import QuerySet

_keepers: list[Callable[[], QuerySet]] = []


def keep_copies(keeper: Callable[[], QuerySet]) -> Callable[[], QuerySet]:
    """Register `keeper`: it returns a `values("space_id")` queryset of the spaces it keeps."""
    _keepers.append(keeper)
    return keeper


def exclude_kept(copies: QuerySet) -> QuerySet:
    for keeper in _keepers:
        copies = copies.exclude(space_id__in=keeper())
    return copies
