"""The spaces admin: read-only state, and actions that call the room services as staff."""

import pytest
from django.utils import timezone

from recordings.models import ModerationCopy
from rooms.models import Participant, Space
from tests.admin_helpers import (
    REFUSED,
    assert_no_add_or_delete,
    assert_turned_away,
    changelist,
    log_in,
    run_action,
    save_change_form,
    staff_with,
    superuser,
    told,
)
from tests.factories import ParticipantFactory, ScheduledSpaceFactory, SpaceFactory

State = Space.State
Role = Participant.Role


def participant(people, user) -> Participant:
    return Participant.objects.get(space=people.space, user=user)


# --- spaces ----------------------------------------------------------------------------
def test_it_ends_the_selected_live_spaces_through_the_service(people, client, sent, django_capture_on_commit_callbacks):
    other = SpaceFactory(title="Late show")
    client.force_login(superuser())
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Space, "end_spaces", [people.space, other])

    assert response.status_code == 302
    for space in (people.space, other):
        space.refresh_from_db()
        assert space.state == State.ENDED and space.ended_at is not None
        # recordings reacted to the space_ended signal, as when the host ends it
        assert ModerationCopy.objects.filter(space=space).exists()
    ended = sorted((space_id, event["reason"]) for space_id, event, _ in sent if event["type"] == "space.ended")
    assert ended == sorted([(people.space.pk, "staff"), (other.pk, "staff")])
    assert told(response) == [("success", "Ended 2 spaces.")]


def test_it_lets_staff_with_the_change_permission_end_spaces(people, client, sent, django_capture_on_commit_callbacks):
    client.force_login(staff_with(people.staff, "view_space", "change_space"))
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, Space, "end_spaces", [people.space])

    people.space.refresh_from_db()
    assert people.space.state == State.ENDED
    assert [event["type"] for _, event, _ in sent if event["type"] == "space.ended"] == ["space.ended"]


def test_it_reports_each_space_that_is_not_live_and_ends_the_others(
    people, client, sent, django_capture_on_commit_callbacks
):
    scheduled = ScheduledSpaceFactory(title="Tomorrow")
    ended = SpaceFactory(title="Yesterday", state=State.ENDED, ended_at=timezone.now())
    before = {space.pk: Space.objects.filter(pk=space.pk).values().get() for space in (scheduled, ended)}
    client.force_login(superuser())
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Space, "end_spaces", [people.space, scheduled, ended])

    assert sorted(told(response)) == [
        ("error", "Tomorrow: The space is not live."),
        ("error", "Yesterday: The space is not live."),
        ("success", "Ended 1 space."),
    ]
    for space_id, row in before.items():
        assert Space.objects.filter(pk=space_id).values().get() == row
    assert not ModerationCopy.objects.filter(space__in=[scheduled, ended]).exists()
    assert {space_id for space_id, event, _ in sent} == {people.space.pk}


@pytest.mark.parametrize("persona", REFUSED)
def test_it_lets_only_permitted_staff_end_spaces(people, client, sent, persona, django_capture_on_commit_callbacks):
    log_in(client, people, persona, "view_space")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Space, "end_spaces", [people.space])

    assert_turned_away(response, persona)
    people.space.refresh_from_db()
    assert people.space.state == State.LIVE
    assert sent == []


def test_it_keeps_the_state_of_a_space_out_of_the_change_form(people, client):
    client.force_login(superuser())
    save_change_form(
        client,
        people.space,
        title="Founders talk, renamed",
        state=State.ENDED,
        record="on",
        recording="on",
        allow_clips="",
        ended_at_0="2026-01-01",
        ended_at_1="10:00:00",
        host=people.outsider.pk,
    )

    space = Space.objects.get(pk=people.space.pk)
    assert space.title == "Founders talk, renamed"
    assert (space.state, space.ended_at, space.host_id) == (State.LIVE, None, people.host.pk)
    assert (space.record, space.recording, space.allow_clips) == (False, False, True)


def test_it_shows_the_participants_of_a_space_without_letting_them_be_edited(people, client):
    client.force_login(superuser())
    save_change_form(client, people.space, **{"participants-0-role": Role.HOST, "participants-0-removed": "on"})

    assert participant(people, people.listener).role == Role.LISTENER
    assert Participant.objects.filter(space=people.space, removed=True).count() == 1  # rex, removed before


def test_it_neither_adds_nor_deletes_spaces(people, client):
    client.force_login(superuser())

    assert_no_add_or_delete(client, people.space)


# --- participants ------------------------------------------------------------------------
def test_it_removes_the_selected_participants_through_the_service(
    people, client, sent, django_capture_on_commit_callbacks
):
    speaker, listener = participant(people, people.speaker), participant(people, people.listener)
    client.force_login(superuser())
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Participant, "remove_from_space", [speaker, listener])

    for p in (speaker, listener):
        p.refresh_from_db()
        assert (p.removed, p.present, p.role, p.muted) == (True, False, Role.LISTENER, True)
    events = [(event["type"], event.get("user_id"), to_user) for _, event, to_user in sent]
    for user in (people.speaker, people.listener):
        assert ("participant.left", user.pk, None) in events
        assert ("removed", None, user.pk) in events
    assert told(response) == [("success", "Removed 2 participants.")]


def test_it_refuses_to_remove_the_host_or_someone_already_removed(
    people, client, sent, django_capture_on_commit_callbacks
):
    host, removed = participant(people, people.host), participant(people, people.removed)
    before = list(Participant.objects.filter(pk__in=[host.pk, removed.pk]).order_by("pk").values())
    client.force_login(superuser())
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Participant, "remove_from_space", [host, removed])

    assert sorted(told(response)) == [
        ("error", f"{host}: End the space to remove its host."),
        ("error", f"{removed}: No such person in this space."),
    ]
    assert list(Participant.objects.filter(pk__in=[host.pk, removed.pk]).order_by("pk").values()) == before
    assert sent == []


def test_it_lets_staff_remove_people_from_a_space_that_has_ended(people, client, django_capture_on_commit_callbacks):
    # Staff moderate after the fact too: a removed person cannot come back to a re-used link.
    Space.objects.filter(pk=people.space.pk).update(state=State.ENDED, ended_at=timezone.now())
    client.force_login(superuser())
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, Participant, "remove_from_space", [participant(people, people.listener)])

    assert participant(people, people.listener).removed


@pytest.mark.parametrize("persona", REFUSED)
def test_it_lets_only_permitted_staff_remove_people(people, client, sent, persona, django_capture_on_commit_callbacks):
    target = participant(people, people.speaker)
    log_in(client, people, persona, "view_participant")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, Participant, "remove_from_space", [target])

    assert_turned_away(response, persona)
    target.refresh_from_db()
    assert (target.removed, target.role) == (False, Role.SPEAKER)
    assert sent == []


def test_it_keeps_role_and_removal_out_of_the_participant_change_form(people, client):
    target = participant(people, people.listener)
    client.force_login(superuser())
    save_change_form(client, target, role=Role.COHOST, removed="on", muted="", present="", user=people.outsider.pk)

    after = Participant.objects.get(pk=target.pk)
    assert (after.role, after.removed, after.muted, after.present) == (Role.LISTENER, False, True, True)
    assert after.user_id == people.listener.pk


def test_it_neither_adds_nor_deletes_participants(people, client):
    target = ParticipantFactory(space=people.space)
    client.force_login(superuser())

    assert_no_add_or_delete(client, target)


def test_it_lists_spaces_and_participants(people, client):
    client.force_login(superuser())

    assert people.space.title in client.get(changelist(Space)).content.decode()
    assert people.speaker.username in client.get(changelist(Participant)).content.decode()
