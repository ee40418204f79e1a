"""The recording edit form with input that is hostile or nonsense: a form error for the host,
the same 404 (403 for staff) for everyone else whatever they send, never a 500."""

import pytest
from django.urls import reverse

from recordings.tasks import render_recording
from tests.recordings.conftest import end_recorded_space, write_voice

HUGE = "9" * 400
BAD_INPUT = [
    {"cuts": f"{HUGE}-{HUGE}", "version": 0},
    {"trim_start": HUGE, "version": 0},
    {"trim_end": f"{HUGE}:{HUGE}", "version": 0},
    {"cuts": "0:01-0:02", "version": HUGE},
    {"trim_start": "soon"},
]


@pytest.fixture
def recording(people):
    write_voice(people.space.pk, people.host.pk, 500, 0, 4)
    rec = end_recorded_space(people.space, [(0, 4)], 4)
    assert render_recording(rec.renders.get().pk) == "ready"
    rec.refresh_from_db()
    return rec


@pytest.mark.parametrize("data", BAD_INPUT)
def test_it_answers_the_host_with_a_form_error(client, people, recording, data):
    client.force_login(people.host)

    response = client.post(reverse("recording_edit", args=[recording.pk]), data)

    assert response.status_code == 400
    assert response.context["form"].errors
    recording.refresh_from_db()
    assert recording.edits_version == 0 and recording.renders.count() == 1


@pytest.mark.parametrize("data", BAD_INPUT)
@pytest.mark.parametrize(("persona", "status"), [("outsider", 404), ("listener", 404), ("staff", 403)])
def test_it_answers_anyone_else_as_for_good_input(client, people, recording, data, persona, status):
    client.force_login(getattr(people, persona))

    response = client.post(reverse("recording_edit", args=[recording.pk]), data)

    assert response.status_code == status
    assert "form" not in (response.context or {})
    recording.refresh_from_db()
    assert recording.edits_version == 0
