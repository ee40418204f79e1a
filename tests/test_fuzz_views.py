"""Every URL of the site, fed hostile input by hypothesis, never answers 500.

For each URL pattern (taken from the resolver, so a new view cannot be forgotten: see
test_every_url_is_fuzzed), as each persona (anonymous, outsider, host, staff), by GET and by
POST: path values (real ids and huge ones, odd names), every form and query parameter the
view reads, plus one it does not, with text that is huge, negative, fractional, NUL, bidi,
zero-width or of any script, and a Range header for the file views. The test client raises
any exception a view lets out, and a caught one must still not be a 5xx.
"""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clips.services import do_clip_replay
from recordings.tasks import render_recording
from tests.recordings.conftest import end_recorded_space, write_voice

# The parameters each view reads (GET query or POST form), by URL name.
SPACE_FORM = ["title", "description", "topics", "when", "scheduled_for", "record", "allow_clips", "captions"]
EDIT_FORM = ["trim_start", "trim_end", "cuts", "version"]
PARAMS = {
    "home": [],
    "live_now": [],
    "search": ["q", "page"],
    "space_new": SPACE_FORM,
    "space": [],
    "space_start": [],
    "space_end": [],
    "space_cancel": [],
    "space_remind": ["on", "next"],
    "space_live": [],
    "profile": [],
    "follow": ["on"],
    "block": [],
    "unblock": [],
    "notifications": [],
    "signup": ["username", "display_name", "email", "password1", "password2"],
    "login": ["username", "password", "next"],
    "logout": ["next"],
    "password_reset": ["email"],
    "password_reset_done": [],
    "password_reset_confirm": ["new_password1", "new_password2"],
    "password_reset_complete": [],
    "podcast": [],
    "replay": [],
    "replay_played": [],
    "replay_audio": [],
    "replay_transcript": ["download"],
    "replay_search": ["q"],
    "recording_transcribe": [],
    "recording": [],
    "recording_status": [],
    "recording_edit": EDIT_FORM,
    "recording_revert": ["version"],
    "recording_publish": [],
    "recording_unpublish": [],
    "recording_retry": [],
    "recording_use": ["render"],
    "recording_discard": ["version"],
    "recording_delete": [],
    "recording_leave": [],
    "render_audio": [],
    "recording_download": [],
    "clip_replay": ["start", "end", "title", "caption"],
    "clip_live": ["title", "caption"],
    "space_clips_allowed": ["allowed"],
    "clip": [],
    "clip_embed": [],
    "clip_audio": [],
    "clip_played": [],
    "clip_audiogram": [],
    "clip_audiogram_status": [],
    "clip_share_without": [],
    "clip_drop": [],
    "clip_delete": [],
    "clip_take_down": ["reason"],
    "clip_requests": [],
    "clip_request_answer": ["answer"],
    "clip_request_preview": [],
    "clip_preference": ["choice"],
    "oembed": ["url", "format"],
    "report": ["kind", "id", "space", "at", "category", "text", "next"],
}
# The admin's own pages are Django's; the ones this project shapes are the change lists
# (search, ordering, filters, actions) and change forms of its models.
ADMIN_PARAMS = ["q", "o", "p", "all", "e", "_changelist_filters", "action", "_selected_action", "index"]
FILE_VIEWS = {"space_live", "replay_audio", "render_audio", "recording_download", "clip_audio", "clip_request_preview"}
PERSONAS = ["guest", "outsider", "host", "staff"]

SPECIAL = [
    "",
    "0",
    "-1",
    "-0.0",
    "1.5",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "9" * 400,
    f"{'9' * 400}-{'9' * 400}",
    "1:2:3:4",
    "\x00",
    "a\x00b",
    "\u202ehana",
    "ha\u200bna",
    "１２３",
    "٣",
    "²",
    "../../etc/passwd",
    "//evil.example/",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "bytes=0-",
    "bytes=-0",
    "bytes=99999999999999999999-",
    "bytes=5-1",
    "2026-02-30T25:61",
    "later",
    "now",
]
HOSTILE = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(str),
    st.builds(lambda char, n: char * n, st.characters(), st.integers(1000, 5000)),
)
BIG_ID = st.integers(min_value=0, max_value=10**30)
# Path text the URL patterns let through (a username's letters); the rest is the resolver's 404.
PATH_TEXT = st.text(st.one_of(st.characters(categories=["L", "N"]), st.sampled_from(".@+-_")), min_size=1, max_size=30)
TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_=", min_size=1, max_size=60)


def all_patterns(resolver=None, namespace=""):
    """(namespaced name, pattern) of every URL, in nested includes too."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.pattern


def project_admin_urls():
    for model in admin.site._registry:
        label = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield f"{label}_changelist"
        yield f"{label}_add"


def path_values(world, kwarg: str):
    known = {
        "space_id": st.one_of(st.just(world["space"]), BIG_ID),
        "recording_id": st.one_of(st.just(world["recording"]), BIG_ID),
        "render_id": st.one_of(st.just(world["render"]), BIG_ID),
        "clip_id": st.one_of(st.just(world["clip"]), BIG_ID),
        "voice_id": st.one_of(st.just(world["voice"]), BIG_ID),
        "username": st.one_of(st.sampled_from(["hana", "otto", "nobody"]), PATH_TEXT),
        "name": st.sampled_from(["live.m3u8", "seg_000000.ts", "seg_999999.ts"]),
        "fmt": st.sampled_from(["m4a", "mp3", "vtt", "txt"]),
        "uidb64": st.one_of(st.just(world["uid"]), TOKEN),
        "token": st.one_of(st.just("set-password"), TOKEN),
    }
    return known[kwarg]


@pytest.fixture
def world(people, settings, tmp_path):
    """The personas' space, ended with a rendered recording (so every recording page and file
    has something real to serve), and a second, live space."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    settings.MEDIA_ROOT = str(tmp_path / "media")
    write_voice(people.space.pk, people.host.pk, 500, 0, 3)
    recording = end_recorded_space(people.space, [(0, 3)], 3)
    render = recording.renders.get()
    assert render_recording(render.pk) == "ready"
    type(people.staff).objects.filter(pk=people.staff.pk).update(is_superuser=True)
    recording.published_at = timezone.now()
    recording.save(update_fields=["published_at"])
    clip = do_clip_replay(people.listener, recording.pk, 0, 2000, "A clip", "")
    return {
        "clip": clip.pk,
        "voice": clip.voices.get().pk,
        "people": people,
        "space": people.space.pk,
        "recording": recording.pk,
        "render": render.pk,
        "uid": urlsafe_base64_encode(force_bytes(people.host.pk)),
    }


def client_as(people, persona: str) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.9")
    if persona != "guest":
        client.force_login(getattr(people, persona))
    return client


def fuzz(world, name: str, params: list[str], data) -> None:
    pattern = dict(all_patterns())[name]
    kwargs = {kwarg: data.draw(path_values(world, kwarg), label=kwarg) for kwarg in pattern.regex.groupindex}
    try:
        url = reverse(name, kwargs=kwargs)
    except NoReverseMatch:  # e.g. a format this view does not have: not a URL of the site
        assume(False)
    fields = data.draw(
        st.fixed_dictionaries({}, optional={key: HOSTILE for key in [*params, "unexpected"]}), label="fields"
    )
    persona = data.draw(st.sampled_from(PERSONAS), label="persona")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    headers = {}
    if name in FILE_VIEWS:
        headers = data.draw(st.fixed_dictionaries({}, optional={"HTTP_RANGE": HOSTILE}), label="headers")
    client = client_as(world["people"], persona)

    response = getattr(client, method)(url, fields, **headers)

    # oEmbed's own answer to a format it does not offer is 501 (https://oembed.com, 2.3.4).
    refused_format = name == "oembed" and response.status_code == 501 and fields.get("format") == "xml"
    assert response.status_code < 500 or refused_format, (method, url, fields, persona, response.status_code)


FUZZ = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def test_every_url_is_fuzzed():
    names = {name for name, _ in all_patterns() if not name.startswith("admin:")}
    assert names == set(PARAMS), "add the new view's parameters to PARAMS"


@pytest.mark.parametrize("name", sorted(PARAMS))
@FUZZ
@given(data=st.data())
def test_no_view_answers_500(world, name, data):
    fuzz(world, name, PARAMS[name], data)


@pytest.mark.parametrize("name", sorted(project_admin_urls()))
@settings(FUZZ, max_examples=5)
@given(data=st.data())
def test_no_admin_page_of_ours_answers_500(world, name, data):
    fuzz(world, name, ADMIN_PARAMS, data)


def test_the_patterns_are_the_resolvers():
    # Guards the walk itself: nested includes (accounts/, admin/) are reached.
    names = dict(all_patterns())
    assert {"login", "password_reset_confirm", "admin:index"} <= set(names)


def real_url(world, name: str) -> str:
    fmt = "vtt" if name == "replay_transcript" else "m4a"
    values = {"username": "hana", "name": "live.m3u8", "fmt": fmt, "uidb64": world["uid"], "token": "set-password"}
    values.update(space_id=world["space"], recording_id=world["recording"], render_id=world["render"])
    values.update(clip_id=world["clip"], voice_id=world["voice"])
    return reverse(name, kwargs={kwarg: values[kwarg] for kwarg in dict(all_patterns())[name].regex.groupindex})


@pytest.mark.parametrize("persona", ["guest", "host"])
def test_a_nul_byte_in_any_parameter_or_name_is_no_500(world, persona):
    """PostgreSQL refuses NUL bytes outright, so each must stop at a form or a pattern."""
    client = client_as(world["people"], persona)
    targets = [(real_url(world, name), params) for name, params in PARAMS.items()]
    targets += [("/u/a%00b/", []), ("/u/a%00b/follow/", []), ("/u/a%00b/podcast.xml", [])]
    for url, params in targets:
        for method in ("get", "post"):
            response = getattr(client, method)(url, {name: "a\x00b" for name in [*params, "unexpected"]})
            assert response.status_code < 500, (method, url)
