"""The clips admin: read-only, take down through the clips service."""

import pytest
from django.core.files.storage import default_storage

from clips import services
from clips.models import Clip
from tests.admin_helpers import assert_no_add_or_delete, changelist, run_action, superuser, told
from tests.clips.conftest import clip_of, run_renders

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(replay, queued, django_capture_on_commit_callbacks):
    clip = services.do_clip_replay(replay.listener, replay.recording.pk, 5000, 15000, "Reported bit", "")
    for user in (replay.host, replay.speaker, replay.cohost):
        with django_capture_on_commit_callbacks(execute=True):
            services.do_answer(user, clip.voices.get(speaker=user).pk, "yes")
    run_renders(queued)
    return clip_of(clip.pk)


def test_staff_take_a_clip_down_from_the_admin_and_its_files_go(shared, client, django_capture_on_commit_callbacks):
    client.force_login(superuser())
    page = client.get(changelist(Clip))
    assert page.status_code == 200 and "Reported bit" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Clip, "take_down", [shared])
    assert told(response) == [("success", "Took down 1 clip.")]
    down = clip_of(shared.pk)
    assert down.state == Clip.State.TAKEN_DOWN and not default_storage.exists(shared.m4a)
    again = run_action(client, Clip, "take_down", [down])
    assert ("error", "Reported bit: This clip is already gone.") in told(again)


def test_clips_are_neither_added_nor_deleted_in_the_admin(shared, client):
    client.force_login(superuser())
    assert_no_add_or_delete(client, shared)
