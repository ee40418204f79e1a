import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("roundtable")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def fan_out(task, queryset) -> int:
    """A beat job's usual shape: one small task per row due, each rechecking its own row
    (claims by conditional update), so a slow or failing one holds up none of the others."""
    ids = list(queryset.values_list("pk", flat=True).distinct())
    for pk in ids:
        task.delay(pk)
    return len(ids)
