"""Personas for every permission test: host, co-host, speaker, listener, guest, outsider,
staff and a removed user, all around one live space."""

import os
from types import SimpleNamespace

import pytest
from channels.layers import channel_layers
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser

from rooms.models import Participant
from tests.factories import ParticipantFactory, SpaceFactory, UserFactory

Role = Participant.Role

# The servers, workers and engines the tests start get this run's generated key (the site
# refuses to start without one), and they serve plain HTTP on 127.0.0.1 as scripts/run does.
os.environ.setdefault("DJANGO_SECRET_KEY", django_settings.SECRET_KEY)
os.environ.setdefault("DJANGO_HTTPS", "0")


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP too: no redirect to https, cookies sent back."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(autouse=True)
def _fresh_channel_layers(settings):
    """Each test gets new layer instances (and, on Redis, its own key prefix)."""
    if "CONFIG" in settings.CHANNEL_LAYERS["default"]:
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"rt-test-{os.getpid()}-{os.urandom(3).hex()}"
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """Each test counts sign-in and sign-up attempts afresh, under its own key prefix in the
    cache (which on Redis outlives the test)."""
    settings.AUTH_THROTTLE = {**settings.AUTH_THROTTLE, "KEY_PREFIX": f"throttle-test-{os.urandom(4).hex()}"}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 would dominate the time to create the personas; the tests check no hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def s3_storage(settings):
    """Media on S3: URLs are signed for real by boto3 (no network is needed to sign); a test
    stands in for the calls that would ask the bucket."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "roundtable-media",
                "access_key": "AKIDEXAMPLE",
                "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "region_name": "eu-west-1",
                "default_acl": "private",
                "querystring_auth": True,
                "signature_version": "s3v4",
            },
        },
    }


@pytest.fixture
def space(db):
    return SpaceFactory(title="Founders talk", host=UserFactory(username="hana"))


@pytest.fixture
def people(space):
    """Everyone who can meet a space, by role."""

    def member(username, role, **extra):
        return ParticipantFactory(space=space, user=UserFactory(username=username), role=role, **extra).user

    return SimpleNamespace(
        space=space,
        host=space.host,
        cohost=member("cora", Role.COHOST),
        speaker=member("sam", Role.SPEAKER, muted=False),
        listener=member("lena", Role.LISTENER),
        raised=member("raj", Role.LISTENER, hand_raised_at=space.created_at),
        removed=member("rex", Role.LISTENER, removed=True, present=False, connections=0),
        outsider=UserFactory(username="otto"),
        staff=UserFactory(username="stella", is_staff=True),
        guest=AnonymousUser(),
    )


@pytest.fixture
def queued(monkeypatch):
    """Celery jobs the clips services queue (by name, after commit), for the test to run."""
    calls = []
    monkeypatch.setattr("clips.services.jobs.queue", lambda name, *args, **kw: calls.append((name, *args)))
    return calls


@pytest.fixture
def sent(monkeypatch):
    """Live events, as they leave after commit."""
    calls = []
    monkeypatch.setattr(
        "rooms.events.send_now", lambda space_id, event, to_user=None: calls.append((space_id, event, to_user))
    )
    return calls


def pytest_sessionstart(session):
    """In the integration tier the real services are required: fail, never skip."""
    if os.environ.get("ROUNDTABLE_TIER") != "integration":
        return
    from django.conf import settings

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if "channels_redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        problems.append("REDIS_URL is not set, so the channel layer is not Redis")
    if problems:
        pytest.exit("integration tier misconfigured: " + "; ".join(problems), returncode=2)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ROUNDTABLE_TIER") == "integration":
        return
    skip = pytest.mark.skip(reason="integration tier only (bash scripts/test runs it on PostgreSQL and Redis)")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)
