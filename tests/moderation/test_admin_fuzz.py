"""The report page's own URLs (the copy's audio, the actions, the window transcript) fed
hostile input by every persona: never a 500, and nothing changes unless a moderator asked
properly."""

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.admin.report_page import ACTIONS
from tests.test_fuzz_views import FUZZ, HOSTILE

PERSONAS = ["guest", "listener", "staff", "moderator"]


@pytest.fixture
def world(people, moderator, report, copy, monkeypatch):
    monkeypatch.setattr("moderation.review.queue", lambda name, *args: None)
    people.moderator = moderator
    return people, report


def client_for(client, people, persona):
    if persona != "guest":
        client.force_login(getattr(people, persona))
    return client


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_no_report_page_url_answers_500(world, client, data):
    people, report = world
    object_id = data.draw(st.one_of(st.just(str(report.pk)), HOSTILE.filter(lambda s: "/" not in s and s)), label="id")
    which = data.draw(st.sampled_from(["copy_audio", "act", "transcribe_window"]), label="url")
    args = [object_id]
    if which == "act":
        args.append(
            data.draw(st.one_of(st.sampled_from(sorted(ACTIONS)), st.from_regex(r"[-a-z0-9_]{1,20}", fullmatch=True)))
        )
    try:
        url = reverse(f"admin:moderation_report_{which}", args=args)
    except Exception:
        return
    fields = data.draw(
        st.fixed_dictionaries({}, optional={k: HOSTILE for k in ["speaker", "reason", "outcome", "until", "x"]}),
        label="fields",
    )
    headers = data.draw(st.fixed_dictionaries({}, optional={"HTTP_RANGE": HOSTILE}), label="headers")
    persona = data.draw(st.sampled_from(PERSONAS), label="persona")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    client.logout()
    response = getattr(client_for(client, people, persona), method)(url, fields, **headers)

    assert response.status_code < 500, (method, url, fields, persona, response.status_code)
