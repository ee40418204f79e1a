"""The recordings admin: read-only, with unpublish and take down through the recording services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import ModerationCopy, Recording
from recordings.services import recording_prefix
from rooms.media import storage
from rooms.models import Space
from tests.admin_helpers import (
    REFUSED,
    assert_no_add_or_delete,
    assert_turned_away,
    changelist,
    log_in,
    run_action,
    save_change_form,
    superuser,
    told,
)
from tests.factories import SpaceFactory


def ended_space(title: str, **extra) -> Space:
    return SpaceFactory(title=title, state=Space.State.ENDED, ended_at=timezone.now(), **extra)


@pytest.fixture
def published(people):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.ENDED, ended_at=timezone.now())
    recording = Recording.objects.create(space=people.space, published_at=timezone.now() - timedelta(hours=1))
    storage.put(f"{recording_prefix(recording.pk)}original.m4a", b"audio")
    return recording


def test_it_unpublishes_the_selected_recordings_through_the_service(published, client):
    other = Recording.objects.create(space=ended_space("Other talk"), published_at=timezone.now())
    client.force_login(superuser())
    response = run_action(client, Recording, "unpublish", [published, other])

    assert response.status_code == 302
    for recording in (published, other):
        recording.refresh_from_db()
        assert recording.published_at is None and recording.deleted_at is None
    assert told(response) == [("success", "Unpublished 2 recordings.")]


def test_it_takes_down_the_selected_recordings_and_their_files(published, client, django_capture_on_commit_callbacks):
    client.force_login(superuser())
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Recording, "take_down", [published])

    published.refresh_from_db()
    assert published.deleted_at is not None and published.published_at is None
    assert list(storage.walk(recording_prefix(published.pk))) == []
    assert told(response) == [("success", "Took down 1 recording.")]


def test_it_keeps_the_first_take_down_of_a_recording_taken_down_twice(published, client):
    client.force_login(superuser())
    run_action(client, Recording, "take_down", [published])
    first = Recording.objects.get(pk=published.pk).deleted_at

    run_action(client, Recording, "take_down", [published])

    assert Recording.objects.get(pk=published.pk).deleted_at == first


@pytest.mark.parametrize("action", ["unpublish", "take_down"])
@pytest.mark.parametrize("persona", REFUSED)
def test_it_lets_only_permitted_staff_unpublish_or_take_down(
    published, people, client, persona, action, django_capture_on_commit_callbacks
):
    before = Recording.objects.filter(pk=published.pk).values().get()
    log_in(client, people, persona, "view_recording")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Recording, action, [published])

    assert_turned_away(response, persona)
    assert Recording.objects.filter(pk=published.pk).values().get() == before
    assert list(storage.walk(recording_prefix(published.pk))) != []


def test_it_keeps_publishing_and_deletion_out_of_the_change_form(people, client):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.ENDED, ended_at=timezone.now())
    recording = Recording.objects.create(space=people.space)
    client.force_login(superuser())
    save_change_form(
        client,
        recording,
        published_at_0="2026-01-01",
        published_at_1="10:00:00",
        deleted_at_0="2026-01-01",
        deleted_at_1="10:00:00",
        play_count="99",
    )

    after = Recording.objects.get(pk=recording.pk)
    assert (after.published_at, after.deleted_at, after.play_count) == (None, None, 0)


def test_it_neither_adds_nor_deletes_recordings(published, client):
    client.force_login(superuser())

    assert_no_add_or_delete(client, published)


# --- moderation copies ----------------------------------------------------------------
def test_it_keeps_the_retention_of_a_moderation_copy_out_of_the_change_form(people, client):
    expires = timezone.now() + timedelta(days=30)
    copy = ModerationCopy.objects.create(space=people.space, expires_at=expires)
    client.force_login(superuser())
    save_change_form(client, copy, expires_at_0="2099-01-01", expires_at_1="10:00:00", claimed_at_0="2026-01-01")

    copy.refresh_from_db()
    assert (copy.expires_at, copy.claimed_at) == (expires, None)


def test_it_neither_adds_nor_deletes_moderation_copies(people, client):
    copy = ModerationCopy.objects.create(space=people.space)
    client.force_login(superuser())

    assert_no_add_or_delete(client, copy)


def test_it_lists_recordings_with_a_link_to_their_page_and_copies_with_their_hold(published, people, client):
    ModerationCopy.objects.create(space=people.space)
    client.force_login(superuser())

    assert f'href="{reverse("recording", args=[published.pk])}"' in client.get(changelist(Recording)).content.decode()
    assert client.get(changelist(ModerationCopy)).status_code == 200
