"""Browser tests: the site served by its own web server (scripts/web) on 127.0.0.1 against the test database, driven
by Debian's headless Chromium through Playwright (never a downloaded browser)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.waiting import poll

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
SCREENSHOTS = settings.VAR_DIR / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_env() -> dict:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return {"SQLITE_PATH": str(db["NAME"]), "DATABASE_URL": ""}
    return {"DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"}


def _answers(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/", timeout=2)
    except OSError:
        return False
    return True


@pytest.fixture
def site_env():
    """Extra environment for the server; a test module overrides it."""
    return {}


@pytest.fixture
def browser_args():
    """Extra Chromium switches; a test module overrides it."""
    return []


@pytest.fixture
def site(transactional_db, site_env):
    """The site's web server (scripts/web) on the test database; yields its base URL."""
    port = _free_port()
    env = {**os.environ, **_database_env(), "DJANGO_DEBUG": "0", **site_env}
    # The same server command users run (scripts/web), on this test's port and database.
    env.update({"PYTHON": sys.executable, "HOST": "127.0.0.1", "PORT": str(port)})
    log = tempfile.TemporaryFile()  # a file, not a pipe nobody reads, which would fill and block
    proc = subprocess.Popen(
        ["bash", str(settings.BASE_DIR / "scripts" / "web")],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: _answers(base) or proc.poll() is not None, 30, "the web server to start")
        if proc.poll() is not None:
            raise RuntimeError("the web server exited before it served a page")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def browser(monkeypatch, browser_args):
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code, so Django's async guard would be a false alarm here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: bash scripts/setup --test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + browser_args, headless=True)
        try:
            yield browser
        finally:
            browser.close()


CSP_VIOLATION = "Content Security Policy"


@pytest.fixture
def page_as(browser, site):
    """page_as(user or None, phone=False) -> a Playwright page logged in as that user.

    Every page is watched for Content-Security-Policy violations (Chromium reports each one
    on the console): the test fails on any, as something on the page was blocked."""
    contexts = []
    violations = []

    def watch(message):
        if CSP_VIOLATION in message.text:
            violations.append(f"{message.location.get('url')}: {message.text}")

    def make(user=None, phone=False):
        options = (
            {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
            if phone
            else {"viewport": {"width": 1280, "height": 860}}
        )
        context = browser.new_context(base_url=site, **options)
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "domain": "127.0.0.1",
                        "path": "/",
                    }
                ]
            )
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield make
    for context in contexts:
        context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


def shoot(page, name: str) -> None:
    """Keep a screenshot of what the person sees (var/screenshots/), for review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
