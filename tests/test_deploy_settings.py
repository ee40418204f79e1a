"""Production settings are safe by default: Django's deploy check passes with only the usual
variables set, a start without a secret key stops with a clear message, and every page works
under a Content-Security-Policy that allows no inline script or style."""

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from recordings.models import Render
from tests.recordings.conftest import end_recorded_space, write_voice

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "roundtable.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://roundtable.example.org",
}
HSTS = {"DJANGO_HSTS_SECONDS": "31536000", "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1", "DJANGO_HSTS_PRELOAD": "1"}


def manage(*args, **env):
    """manage.py in its own process, outside the test run (no PYTEST_VERSION), with the
    environment of a fresh shell plus `env`: nothing the tests set for their servers."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_check_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
        **HSTS,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "security.W0" not in result.stdout + result.stderr


def test_it_warns_only_about_hsts_when_hsts_is_not_set():
    """HSTS stays opt-in (a browser that saw it refuses plain HTTP for a year); the deploy
    check says so, and says nothing else."""
    result = manage("check", "--deploy", DJANGO_SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)

    assert re.findall(r"\((security\.W\d+)\)", result.stderr) == ["security.W004"], result.stderr


@pytest.mark.parametrize("command", [["check"], ["runserver", "--noreload", "127.0.0.1:0"]])
def test_it_refuses_to_start_without_a_secret_key(command):
    result = manage(*command, **PRODUCTION)

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in result.stderr
    assert "bash scripts/run" in result.stderr


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts (JSON data
    blocks are not run, so they are allowed), <style> elements, style and on* attributes."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"<{tag} {name}=…>" for name in attributes if name == "style" or name.startswith("on")]


@pytest.fixture
def pages(people, settings, tmp_path):
    """A page of each kind, as the person who sees the most of it (the host)."""
    settings.MEDIA_ROOT = str(tmp_path)
    write_voice(people.space.pk, people.host.pk, 500, 0, 6)
    recording = end_recorded_space(people.space, [(0, 6)], 6)
    recording.renders.update(state=Render.State.RUNNING, progress=0.4)
    return [
        reverse("home"),
        reverse("space_new"),
        reverse("space", args=[people.space.pk]),
        reverse("recording", args=[recording.pk]),
        reverse("replay", args=[recording.pk]),
        reverse("profile", args=[people.host.username]),
        reverse("notifications"),
        reverse("search") + "?q=founders",
        "/admin/",
    ]


def test_its_pages_have_no_inline_script_or_style(client, people, pages):
    people.host.is_staff = people.host.is_superuser = True
    people.host.save()
    client.force_login(people.host)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert parser.found == [], path


def test_it_sends_a_content_security_policy_without_unsafe_inline(client, db):
    policy = dict(
        part.strip().split(" ", 1) for part in client.get(reverse("home"))["Content-Security-Policy"].split(";")
    )

    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert "unsafe" not in " ".join(policy.values())
    # hls.js: its worker from a blob: URL, the audio through MediaSource (blob: URLs).
    assert "blob:" in policy["worker-src"] and "blob:" in policy["media-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
