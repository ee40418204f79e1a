"""The moderation copy: kept for the retention period after the space ends, then deleted
(files and rows) unless held; published recordings stay; a second run does nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import Hold
from recordings.models import ModerationCopy, Recording
from recordings.services import do_delete_moderation_copy, do_expire_unpublished, expired_copies
from recordings.tasks import delete_expired_copies, expire_unpublished_recordings, render_recording
from rooms.models import Space
from rooms.services.spaces import do_end_space
from tests.recordings.conftest import end_recorded_space, write_voice


def files_under(root, prefix):
    folder = root / prefix
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def ended(people, media_root):
    """A recorded space that ended, rendered, with its copy's retention just run out."""
    write_voice(people.space.pk, people.host.pk, 500, 0, 12)
    recording = end_recorded_space(people.space, [(0, 12)], 12)
    render_recording(recording.renders.get().pk)
    ModerationCopy.objects.filter(space=people.space).update(expires_at=timezone.now() - timedelta(seconds=1))
    return recording


def test_retention_starts_when_the_space_ends(people, settings):
    settings.RECORDINGS = {**settings.RECORDINGS, "RETENTION_DAYS": 30}
    do_end_space(people.host, people.space.pk)
    people.space.refresh_from_db()
    copy = ModerationCopy.objects.get(space=people.space)
    assert copy.expires_at == people.space.ended_at + timedelta(days=30)
    assert not expired_copies().exists()


def test_a_retention_of_zero_expires_the_copy_when_the_space_ends(people, settings):
    settings.RECORDINGS = {**settings.RECORDINGS, "RETENTION_DAYS": 0}
    do_end_space(people.host, people.space.pk)
    people.space.refresh_from_db()
    assert ModerationCopy.objects.get(space=people.space).expires_at == people.space.ended_at
    assert expired_copies().count() == 1


def test_an_expired_copy_is_deleted_files_and_row_and_a_second_run_does_nothing(ended, media_root):
    space_id, recording_id = ended.space_id, ended.pk
    assert files_under(media_root, f"spaces/{space_id}") and files_under(media_root, f"recordings/{recording_id}")
    assert delete_expired_copies() == 1  # fans out (the broker is not consumed here) ...
    assert do_delete_moderation_copy(ModerationCopy.objects.get().pk) is True  # ... the task's work
    assert files_under(media_root, f"spaces/{space_id}") == []
    assert not ModerationCopy.objects.exists()
    # The recording made from it is the host's: it follows its own rule.
    recording = Recording.objects.get(pk=recording_id)
    assert recording.expired_at is None and len(files_under(media_root, f"recordings/{recording_id}")) == 2
    assert delete_expired_copies() == 0


def test_an_unpublished_recording_is_deleted_after_its_keeping_period(ended, media_root, settings):
    settings.RECORDINGS = {**settings.RECORDINGS, "UNPUBLISHED_DAYS": 30}
    assert expire_unpublished_recordings() == 0  # the space ended just now
    Space.objects.filter(pk=ended.space_id).update(ended_at=timezone.now() - timedelta(days=31))
    assert expire_unpublished_recordings() == 1
    assert do_expire_unpublished(ended.pk) is True
    recording = Recording.objects.get(pk=ended.pk)
    assert recording.expired_at is not None and recording.is_gone
    assert files_under(media_root, f"recordings/{ended.pk}") == []
    assert do_expire_unpublished(ended.pk) is False and expire_unpublished_recordings() == 0


def test_a_published_recording_is_kept_until_its_host_deletes_it(ended, media_root):
    Recording.objects.filter(pk=ended.pk).update(published_at=timezone.now())
    Space.objects.filter(pk=ended.space_id).update(ended_at=timezone.now() - timedelta(days=400))
    assert do_delete_moderation_copy(ModerationCopy.objects.get().pk)
    assert expire_unpublished_recordings() == 0 and do_expire_unpublished(ended.pk) is False
    assert files_under(media_root, f"spaces/{ended.space_id}") == []
    assert len(files_under(media_root, f"recordings/{ended.pk}")) == 2
    assert Recording.objects.get(pk=ended.pk).expired_at is None


def test_a_held_copy_is_kept_until_the_hold_is_released(ended, media_root, people):
    hold = Hold.objects.create(space=people.space, reason="Report #12", created_by=people.staff)
    copy = ModerationCopy.objects.get()
    assert delete_expired_copies() == 0
    assert do_delete_moderation_copy(copy.pk) is False
    assert files_under(media_root, f"spaces/{people.space.pk}")
    hold.released_at = timezone.now()
    hold.save()
    assert do_delete_moderation_copy(copy.pk) is True


def test_two_workers_never_both_delete_one_copy(ended):
    copy = ModerationCopy.objects.get()
    ModerationCopy.objects.filter(pk=copy.pk).update(claimed_at=timezone.now())  # another worker has it
    assert do_delete_moderation_copy(copy.pk) is False
    assert ModerationCopy.objects.filter(pk=copy.pk).exists()
    # Its worker died long ago: the claim goes stale and the copy is taken over.
    ModerationCopy.objects.filter(pk=copy.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert do_delete_moderation_copy(copy.pk) is True


def test_a_copy_still_being_read_by_a_render_waits(people, media_root):
    write_voice(people.space.pk, people.host.pk, 500, 0, 6)
    end_recorded_space(people.space, [(0, 6)], 6)  # its render is queued
    ModerationCopy.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert not expired_copies().exists()
