"""Renders whose worker died (killed, out of memory) or whose message was lost: the heartbeat
tells a live claim from a stale one; the sweeper queues a stale render again a bounded number
of times, then fails it so the host can try again; a stale render never holds up retention;
a run that was taken over stops without touching the recording. Task functions are called
directly (the integration tier kills a real worker)."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.utils import timezone

from config.celery import app as celery_app
from recordings import rendering
from recordings.models import ModerationCopy, Render
from recordings.services import do_retry_render, expired_copies, expired_unpublished
from recordings.tasks import recover_stale_render, recover_stale_renders, render_recording
from rooms.errors import Conflict
from rooms.models import Space
from tests.recordings.conftest import end_recorded_space, write_voice


@pytest.fixture
def recording(people):
    write_voice(people.space.pk, people.host.pk, 500, 0, 8)
    return end_recorded_space(people.space, [(0, 8)], 8)


def silent_for(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def running(recording, *, attempts: int = 1, silent: float = 0) -> Render:
    """The recording's render as a worker leaves it: claimed, last heard from `silent` s ago."""
    render = recording.renders.get()
    at = silent_for(silent)
    Render.objects.filter(pk=render.pk).update(
        state=Render.State.RUNNING, attempts=attempts, claimed_at=at, heartbeat_at=at, progress=0.4
    )
    render.refresh_from_db()
    return render


STALE = django_settings.RECORDINGS["RENDER_STALE_SECONDS"] + 1


def test_it_queues_a_render_that_lost_its_worker_again_and_the_next_run_finishes_it(recording):
    render = running(recording, silent=STALE)
    assert list(Render.objects.stale()) == [render]
    assert recover_stale_renders() == 1  # fans out (the broker is not consumed here) ...
    assert recover_stale_render(render.pk) == "requeued"  # ... the task's work
    render.refresh_from_db()
    assert render.state == Render.State.QUEUED and render.attempts == 1 and not render.is_stale
    assert render_recording(render.pk) == "ready"
    render.refresh_from_db()
    recording.refresh_from_db()
    assert render.state == Render.State.READY and render.attempts == 2 and render.error == ""
    assert recording.original == recording.current == render
    assert recover_stale_renders() == 0 and recover_stale_render(render.pk) == ""


def test_it_fails_a_render_that_lost_its_worker_on_every_attempt_and_the_host_tries_again(client, people, recording):
    attempts = django_settings.RECORDINGS["RENDER_ATTEMPTS"]
    render = running(recording, attempts=attempts, silent=STALE)
    assert recover_stale_render(render.pk) == "failed"
    render.refresh_from_db()
    assert render.state == Render.State.FAILED
    assert render.error.startswith(f"Rendering stopped {attempts} times") and "Try again" in render.error
    assert recover_stale_render(render.pk) == ""  # failed is final: the sweeper leaves it alone

    client.force_login(people.host)
    page = client.get(f"/recordings/{recording.pk}/").content.decode()
    assert "Rendering stopped" in page and "Try again" in page
    assert client.post(f"/recordings/{recording.pk}/retry/").status_code == 302
    render.refresh_from_db()
    assert render.state == Render.State.QUEUED and render.attempts == 0 and render.error == ""
    assert render_recording(render.pk) == "ready"


def test_it_leaves_a_render_that_is_still_writing_progress_alone(recording):
    render = running(recording, silent=1)
    assert not render.is_stale and recover_stale_renders() == 0
    assert recover_stale_render(render.pk) == ""
    # Its message handed out again (a duplicate): it looks again once the claim would be stale.
    with pytest.raises(Retry):
        render_recording(render.pk)
    render.refresh_from_db()
    assert render.state == Render.State.RUNNING and render.attempts == 1 and render.progress == 0.4
    assert 1 < rendering.seconds_until_stale(render.pk) <= STALE


def test_a_message_handed_out_again_after_its_worker_died_takes_the_render_over(recording):
    render = running(recording, silent=STALE)
    assert render_recording(render.pk) == "ready"
    render.refresh_from_db()
    assert render.state == Render.State.READY and render.attempts == 2


def test_a_render_run_twice_is_done_once(recording):
    render = recording.renders.get()
    assert render_recording(render.pk) == "ready"
    finished_at = Render.objects.get(pk=render.pk).finished_at
    assert render_recording(render.pk) == "not claimed"
    render.refresh_from_db()
    assert render.attempts == 1 and render.finished_at == finished_at


def test_a_run_taken_over_after_going_silent_stops_and_changes_nothing(recording):
    render = rendering.claim(recording.renders.get().pk)
    # It was silent too long: the sweeper queued it again and another worker claimed it.
    Render.objects.filter(pk=render.pk).update(claimed_at=timezone.now() + timedelta(seconds=1))
    with pytest.raises(rendering.ClaimLost):
        rendering.run(render)
    recording.refresh_from_db()
    assert recording.original is None and recording.current is None
    assert Render.objects.get(pk=render.pk).state == Render.State.RUNNING


def test_a_run_that_lost_its_claim_while_storing_leaves_the_recording_alone(recording, monkeypatch):
    render = rendering.claim(recording.renders.get().pk)
    stored = rendering.storage.put_file

    def put_then_taken_over(name, path, *args):
        Render.objects.filter(pk=render.pk).update(state=Render.State.QUEUED)  # the host retried
        return stored(name, path, *args)

    monkeypatch.setattr(rendering.storage, "put_file", put_then_taken_over)
    with pytest.raises(rendering.ClaimLost):
        rendering.run(render)
    recording.refresh_from_db()
    assert recording.original is None and not recording.speakers.exists()
    assert Render.objects.get(pk=render.pk).state == Render.State.QUEUED


def test_the_host_retries_a_render_whose_worker_died_but_not_one_still_running(client, people, recording):
    render = running(recording, silent=1)
    client.force_login(people.host)
    url = f"/recordings/{recording.pk}/retry/"
    assert client.post(url).status_code == 409
    assert "Try again" not in client.get(f"/recordings/{recording.pk}/").content.decode()
    render.refresh_from_db()
    assert render.state == Render.State.RUNNING and render.attempts == 1

    Render.objects.filter(pk=render.pk).update(heartbeat_at=silent_for(STALE))
    page = client.get(f"/recordings/{recording.pk}/").content.decode()
    assert "the worker rendering it may have stopped" in page and "Try again" in page
    assert client.post(url).status_code == 302
    render.refresh_from_db()
    assert render.state == Render.State.QUEUED and render.attempts == 0 and not render.is_stale
    assert render_recording(render.pk) == "ready"


def test_a_retry_refuses_a_render_the_sweeper_moved_meanwhile(people, recording, monkeypatch):
    render = running(recording, silent=STALE)

    def swept_meanwhile(self):
        recover_stale_render(self.pk)  # the sweeper moves it right after the request read it
        return True

    monkeypatch.setattr(Render, "is_stale", property(swept_meanwhile))
    with pytest.raises(Conflict) as error:
        do_retry_render(people.host, recording.pk)
    assert error.value.code == "nothing_to_retry"
    assert Render.objects.get(pk=render.pk).attempts == 1  # not reset by the refused retry


def test_a_stale_render_does_not_hold_up_the_moderation_copy_or_the_unpublished_recording(recording):
    ModerationCopy.objects.update(expires_at=timezone.now() - timedelta(hours=1))
    Space.objects.filter(pk=recording.space_id).update(ended_at=timezone.now() - timedelta(days=400))
    render = running(recording, silent=1)
    assert not expired_copies().exists() and not expired_unpublished().exists()  # being read
    Render.objects.filter(pk=render.pk).update(heartbeat_at=silent_for(STALE))
    assert expired_copies().count() == 1 and expired_unpublished().count() == 1
    # Queued again by the sweeper, it is live once more until it ends or goes silent again.
    assert recover_stale_render(render.pk) == "requeued"
    assert not expired_copies().exists()


def test_a_queued_render_whose_message_was_lost_is_sent_again(recording):
    render = recording.renders.get()
    Render.objects.filter(pk=render.pk).update(heartbeat_at=silent_for(STALE))
    assert recover_stale_render(render.pk) == "requeued"
    render.refresh_from_db()
    assert render.state == Render.State.QUEUED and render.attempts == 0 and not render.is_stale


def test_tasks_are_acknowledged_late_and_given_out_again_when_their_worker_dies():
    conf = celery_app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert render_recording.time_limit == django_settings.LONGEST_TASK_SECONDS
    sweep = django_settings.CELERY_BEAT_SCHEDULE["recordings.recover_stale_renders"]
    assert sweep["task"] == recover_stale_renders.name and 0 < sweep["options"]["expires"] < sweep["schedule"]
