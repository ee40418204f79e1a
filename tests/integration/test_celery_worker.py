"""A real Celery worker on Redis, against the PostgreSQL test database: tasks survive JSON
serialization, run after commit, fan out, and are idempotent when run again."""

import tempfile
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from rooms.models import Follow, Notification, Reminder, Space
from rooms.services.spaces import do_start_space
from rooms.tasks import cancel_no_show_spaces, end_empty_spaces
from tests.factories import ScheduledSpaceFactory, SpaceFactory, UserFactory
from tests.integration.processes import start_worker, stop, worker_env
from tests.waiting import poll

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    log = tempfile.TemporaryFile(mode="w+")
    proc = start_worker(worker_env(), log)
    try:
        yield proc
    finally:
        stop(proc)
        log.seek(0)
        print(log.read())
        log.close()


def test_it_notifies_reminders_and_followers_when_a_space_starts(worker):
    host = UserFactory(username="hana")
    space = ScheduledSpaceFactory(host=host, scheduled_for=timezone.now() + timedelta(hours=1))
    fan = UserFactory(username="fan")
    follower = UserFactory(username="follower")
    Reminder.objects.create(user=fan, space=space)
    Follow.objects.create(follower=follower, host=host)

    do_start_space(host, space.pk)

    poll(lambda: Notification.objects.filter(user=follower).exists(), 60, "the worker to run the task")
    assert Reminder.objects.get(user=fan, space=space).notified_at is not None
    assert Notification.objects.filter(user=fan, url=space.get_absolute_url()).count() == 1
    assert Notification.objects.filter(user=follower).count() == 1


def test_it_fans_out_beat_jobs_through_the_worker(worker):
    overdue = SpaceFactory(
        state=Space.State.SCHEDULED, started_at=None, scheduled_for=timezone.now() - timedelta(hours=3)
    )
    empty = SpaceFactory(last_presence_at=timezone.now() - timedelta(hours=1))
    empty.participants.update(connections=0, present=False)
    busy = SpaceFactory(last_presence_at=timezone.now() - timedelta(hours=1))
    busy.participants.update(connections=1, present=True)

    cancel_no_show_spaces.delay()
    end_empty_spaces.delay()

    def settled():
        return (
            Space.objects.get(pk=overdue.pk).state == Space.State.CANCELLED
            and Space.objects.get(pk=empty.pk).state == Space.State.ENDED
        )

    poll(settled, 60, "the fanned-out tasks to run")
    assert Space.objects.get(pk=busy.pk).state == Space.State.LIVE
    # Running the beat jobs again changes nothing.
    assert cancel_no_show_spaces() == 0
    assert end_empty_spaces() == 0
