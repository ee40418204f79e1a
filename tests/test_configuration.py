"""Configuration is loud: every environment variable is checked at start-up, a wrong one stops
the start with a message naming it, its value and what is allowed (all wrong ones at once),
the settings name no file or module that does not exist, and docs/configuration.md lists
every variable the settings read."""

import json
import os
import re
import subprocess
import sys
from importlib.util import find_spec

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from config import celery_app, env
from tests.test_deploy_settings import manage

CONFIG = settings.BASE_DIR / "config"
KEY = {"DJANGO_SECRET_KEY": "k" * 50}

SHOW = """
import gc, json
import config.asgi
from django.conf import settings
print(json.dumps({"engine": settings.MEDIA_ENGINE, "gc": settings.ROUNDTABLE_GC_TUNING,
                  "threshold": gc.get_threshold(), "log": settings.LOGGING["root"]["level"]}))
"""


def show(**variables) -> subprocess.CompletedProcess:
    """Settings and the ASGI module loaded in a fresh interpreter, as the web server loads
    them, on the embedded database; prints what they made of `variables` as JSON."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": "", **KEY, **variables}
    return subprocess.run(
        [sys.executable, "-c", SHOW], env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True
    )


# --- Start-up, in a process of its own ------------------------------------------------


def test_it_refuses_to_start_and_names_every_wrong_variable_at_once():
    result = manage(
        "check",
        **KEY,
        MEDIA_ENGINE_MODE="embeded",
        MEDIA_ICE_SERVERS='[{"urls": "turn:turn.example.org:3478"}]',
        ROUNDTABLE_GC_TUNING="maybe",
        ROUNDTABLE_MAX_SPEAKERS="ten",
        DATABASE_URL="postgress://db.example.org/roundtable",
        REDIS_URL="http://cache.example.org",
        EMAIL_BACKEND="django.core.mail.backends.smpt.EmailBackend",
        EMAIL_USE_TLS="1",
        EMAIL_USE_SSL="1",
        MEDIA_HEARTBEAT_SECONDS="6",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: 9 settings are wrong:" in result.stderr
    for message in [
        "MEDIA_ENGINE_MODE='embeded' is not one of: embedded, external",
        'server 1 is a TURN server and needs both "username" and "credential"',
        "ROUNDTABLE_GC_TUNING='maybe' is not a boolean: use 1/0, true/false, yes/no or on/off",
        "ROUNDTABLE_MAX_SPEAKERS='ten' is not a whole number of at least 1",
        "DATABASE_URL='postgress://db.example.org/roundtable' does not start with one of: postgres://",
        "REDIS_URL='http://cache.example.org' does not start with one of: redis://, rediss://, unix://",
        "EMAIL_BACKEND='django.core.mail.backends.smpt.EmailBackend' names module "
        "'django.core.mail.backends.smpt', which does not exist",
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: use one",
        "MEDIA_DEAD_AFTER_SECONDS=10 must be at least twice MEDIA_HEARTBEAT_SECONDS=6",
    ]:
        assert message in result.stderr


def test_it_refuses_a_sqlite_path_in_a_folder_that_does_not_exist():
    result = manage("check", **KEY, DATABASE_URL="", SQLITE_PATH="/nonexistent/folder/roundtable.sqlite3")

    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: SQLITE_PATH='/nonexistent/folder/roundtable.sqlite3' is in folder "
        "'/nonexistent/folder', which does not exist"
    ) in result.stderr


def test_it_reads_good_values_and_asgi_takes_gc_tuning_from_settings():
    servers = [
        {"urls": "stun:stun.example.org:3478"},
        {"urls": ["turn:turn.example.org:3478", "turns:turn.example.org:5349"], "username": "u", "credential": "p"},
    ]
    result = show(
        MEDIA_ENGINE_MODE="External",
        MEDIA_ICE_SERVERS=json.dumps(servers),
        MEDIA_ICE_ADDRESSES="127.0.0.1, ::1",
        ROUNDTABLE_GC_TUNING="off",
        LOG_LEVEL="warning",
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["engine"]["MODE"] == "external"
    assert shown["engine"]["ICE_SERVERS"] == servers
    assert shown["engine"]["ICE_ADDRESSES"] == ["127.0.0.1", "::1"]
    assert shown["log"] == "WARNING"
    assert shown["gc"] is False
    assert shown["threshold"][0] != 50_000


def test_it_tunes_the_garbage_collector_by_default():
    result = show()

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["threshold"] == [50_000, 20, 100]


# --- The readers, in this process ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("Yes", True), ("on", True), ("0", False), ("Off", False)]
)
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("RT_FLAG", raw)

    assert env.env_bool("RT_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["2", "enabled", "y", "tru"])
def test_it_refuses_other_booleans(monkeypatch, raw):
    monkeypatch.setenv("RT_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match=rf"^RT_FLAG='{raw}' is not a boolean: use 1/0, true/false"):
        env.env_bool("RT_FLAG")


def test_it_takes_an_empty_variable_as_unset(monkeypatch):
    for name in ("RT_FLAG", "RT_NUMBER", "RT_MODE", "RT_TEXT", "RT_URL"):
        monkeypatch.setenv(name, " ")

    assert env.env_bool("RT_FLAG", True) is True
    assert env.env_int("RT_NUMBER", 7, min=1) == 7
    assert env.env_choice("RT_MODE", "a", ["a", "b"]) == "a"
    assert env.env_str("RT_TEXT", "default") == "default"
    assert env.env_url("RT_URL", "redis://default", ["redis"]) == "redis://default"


@pytest.mark.parametrize(
    ("raw", "bounds", "allowed"),
    [
        ("ten", {}, "a whole number"),
        ("1.5", {"min": 1}, "a whole number of at least 1"),
        ("0", {"min": 1}, "a whole number of at least 1"),
        ("11", {"min": 0, "max": 10}, "a whole number from 0 to 10"),
        ("-1", {"max": 5, "min": 0}, "a whole number from 0 to 5"),
    ],
)
def test_it_refuses_whole_numbers_out_of_bounds(monkeypatch, raw, bounds, allowed):
    monkeypatch.setenv("RT_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured) as error:
        env.env_int("RT_NUMBER", 1, **bounds)
    assert str(error.value) == f"RT_NUMBER={raw!r} is not {allowed}"


def test_it_reads_whole_numbers_within_bounds(monkeypatch):
    monkeypatch.setenv("RT_NUMBER", " 10 ")

    assert env.env_int("RT_NUMBER", 1, min=10, max=10) == 10


def test_it_matches_a_choice_whatever_its_case_and_refuses_a_typo(monkeypatch):
    monkeypatch.setenv("MEDIA_ENGINE_MODE", "EMBEDDED")
    assert env.env_choice("MEDIA_ENGINE_MODE", "external", ["embedded", "external"]) == "embedded"

    monkeypatch.setenv("MEDIA_ENGINE_MODE", "embeded")
    with pytest.raises(ImproperlyConfigured) as error:
        env.env_choice("MEDIA_ENGINE_MODE", "embedded", ["embedded", "external"])
    assert str(error.value) == "MEDIA_ENGINE_MODE='embeded' is not one of: embedded, external"


@pytest.mark.parametrize(
    ("raw", "schemes", "wrong"),
    [
        ("postgress://h/db", ["postgres", "sqlite"], "does not start with one of: postgres://, sqlite://"),
        ("localhost:6379", ["redis"], "does not start with one of: redis://"),
        ("redis://:6379/0", ["redis"], "names no host"),
        ("redis://h:port/0", ["redis"], "is not a URL (Port could not be cast"),
    ],
)
def test_it_refuses_urls_of_the_wrong_kind(monkeypatch, raw, schemes, wrong):
    monkeypatch.setenv("RT_URL", raw)

    with pytest.raises(ImproperlyConfigured, match=re.escape(f"RT_URL={raw!r} {wrong}")):
        env.env_url("RT_URL", "", schemes)


@pytest.mark.parametrize("raw", ["sqlite:////srv/roundtable.sqlite3", "unix:///run/redis.sock", "rediss://h:6380/1"])
def test_it_reads_urls_with_an_allowed_scheme(monkeypatch, raw):
    monkeypatch.setenv("RT_URL", raw)

    assert env.env_url("RT_URL", "", ["sqlite", "unix", "rediss"]) == raw


def test_it_checks_each_item_of_a_list(monkeypatch):
    monkeypatch.setenv("RT_ORIGINS", "https://cdn.example.org, cdn2.example.org,https://x.example.org/path")

    with pytest.raises(ImproperlyConfigured) as error:
        env.env_list("RT_ORIGINS", [], item=env.origin_error)
    assert "'cdn2.example.org' does not start with one of: http://, https://" in str(error.value)
    assert "'https://x.example.org/path' is not an origin (scheme://host[:port], no path)" in str(error.value)

    monkeypatch.setenv("RT_ORIGINS", "https://cdn.example.org,http://127.0.0.1:9000")
    assert env.env_list("RT_ORIGINS", [], item=env.origin_error) == ["https://cdn.example.org", "http://127.0.0.1:9000"]


def test_it_refuses_a_url_where_a_host_name_goes(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "roundtable.example.org,https://roundtable.example.org")

    with pytest.raises(ImproperlyConfigured, match="'https://roundtable.example.org' is a URL, not a host name"):
        env.env_list("DJANGO_ALLOWED_HOSTS", [], item=env.host_error)


def test_it_refuses_ice_addresses_that_are_not_ip_addresses(monkeypatch):
    monkeypatch.setenv("MEDIA_ICE_ADDRESSES", "127.0.0.1,localhost")

    with pytest.raises(ImproperlyConfigured, match="'localhost' is not an IP address"):
        env.env_list("MEDIA_ICE_ADDRESSES", [], item=env.ip_address_error)


def test_it_refuses_an_import_path_whose_module_does_not_exist(monkeypatch):
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    assert env.env_import_path("EMAIL_BACKEND", "x.y") == "django.core.mail.backends.smtp.EmailBackend"

    for raw in ("smtp", "nowhere.EmailBackend"):
        monkeypatch.setenv("EMAIL_BACKEND", raw)
        with pytest.raises(ImproperlyConfigured, match=f"^EMAIL_BACKEND='{raw}'"):
            env.env_import_path("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")


def test_it_refuses_a_bucket_name_or_sender_address_of_the_wrong_shape(monkeypatch):
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "s3://My_Bucket")
    monkeypatch.setenv("DEFAULT_FROM_EMAIL", "Roundtable")

    with pytest.raises(ImproperlyConfigured, match="is not a bucket name"):
        env.env_bucket("AWS_STORAGE_BUCKET_NAME")
    with pytest.raises(ImproperlyConfigured, match="is not an e-mail address"):
        env.env_email("DEFAULT_FROM_EMAIL", "x@localhost")


def test_it_refuses_a_header_name_with_spaces_or_a_colon(monkeypatch):
    monkeypatch.setenv("CLIENT_ADDRESS_HEADER", "X-Forwarded-For")
    assert env.env_header("CLIENT_ADDRESS_HEADER") == "X-Forwarded-For"

    for raw in ("X Forwarded For", "X-Forwarded-For:"):
        monkeypatch.setenv("CLIENT_ADDRESS_HEADER", raw)
        with pytest.raises(ImproperlyConfigured, match="is not a header name"):
            env.env_header("CLIENT_ADDRESS_HEADER")


def test_it_refuses_json_that_does_not_parse(monkeypatch):
    monkeypatch.setenv("MEDIA_ICE_SERVERS", "[{urls: 'stun:x'}]")

    with pytest.raises(ImproperlyConfigured, match=r"^MEDIA_ICE_SERVERS=.* is not valid JSON \(Expecting"):
        env.env_json("MEDIA_ICE_SERVERS", [], env.ice_servers_errors)


@pytest.mark.parametrize(
    "servers",
    [
        [],
        [{"urls": "stun:stun.example.org"}],
        [{"urls": ["stun:a.example.org", "stun:b.example.org:3478"]}],
        [{"urls": "TURN:turn.example.org?transport=tcp", "username": "u", "credential": "p"}],
        [{"urls": "stun:stun.example.org", "username": "u", "credential": "p"}],
    ],
)
def test_it_accepts_ice_servers_that_browsers_and_aiortc_accept(servers):
    assert env.ice_servers_errors(servers) == []


@pytest.mark.parametrize(
    ("servers", "wrong"),
    [
        ({"urls": "stun:x"}, "not a JSON list"),
        (["stun:x"], "server 1 is not an object"),
        ([{}], 'server 1 needs "urls": a string or a list of strings'),
        ([{"urls": []}], 'server 1 needs "urls"'),
        ([{"urls": ["stun:x", 3]}], 'server 1 needs "urls"'),
        ([{"urls": "stun:x"}, {"urls": "https://turn.example.org"}], "server 2: 'https://turn.example.org' does not"),
        ([{"urls": "turn:x", "username": "u"}], 'server 1 is a TURN server and needs both "username" and "credential"'),
        ([{"urls": "turns:x"}], "server 1 is a TURN server"),
        ([{"urls": "stun:x", "credential": "p"}], 'server 1 has "credential" without the other'),
        ([{"urls": "stun:x", "password": "p"}], "server 1 has unknown keys password"),
        ([{"urls": "turn:x", "username": "u", "credential": 5}], 'server 1: "credential" is not a string'),
    ],
)
def test_it_refuses_ice_servers_that_would_not_work(servers, wrong):
    assert wrong in "; ".join(env.ice_servers_errors(servers))


def test_it_collects_problems_and_raises_them_together(monkeypatch):
    monkeypatch.setenv("RT_A", "x")
    monkeypatch.setenv("RT_B", "y")
    env.collect_problems()
    try:
        # While collecting, a wrong value reads as its default so the rest can be checked.
        assert env.env_int("RT_A", 3) == 3
        assert env.env_bool("RT_B", True) is True
        with pytest.raises(ImproperlyConfigured) as error:
            env.raise_problems()
    finally:
        env._problems = None
    assert str(error.value) == (
        "2 settings are wrong:\n  - RT_A='x' is not a whole number\n"
        "  - RT_B='y' is not a boolean: use 1/0, true/false, yes/no or on/off"
    )
    # Collecting is over: the next problem raises at once.
    with pytest.raises(ImproperlyConfigured):
        env.env_int("RT_A", 3)


def test_it_raises_a_single_problem_as_it_is():
    env.collect_problems()
    env.problem("DJANGO_SECRET_KEY is not set.")
    with pytest.raises(ImproperlyConfigured) as error:
        env.raise_problems()

    assert str(error.value) == "DJANGO_SECRET_KEY is not set."
    env.raise_problems()  # nothing left to report


# --- What the settings name exists --------------------------------------------------------

# A path into the project as comments and strings in these files write one.
PROJECT_PATH = re.compile(
    r"\b((?:config|rooms|recordings|clips|moderation|tests|scripts|docs|templates|static)/[\w./-]*\w)"
)


def test_every_file_the_configuration_names_exists():
    files = [*CONFIG.glob("*.py"), *settings.BASE_DIR.glob("requirements*.txt"), settings.BASE_DIR / "Procfile"]
    files += sorted((settings.BASE_DIR / "scripts").iterdir())
    named = {(path.name, ref) for path in files for ref in PROJECT_PATH.findall(path.read_text())}

    assert ("settings.py", "rooms/media/files.py") in named
    assert [f"{name}: {ref}" for name, ref in sorted(named) if not (settings.BASE_DIR / ref).exists()] == []


def test_every_module_and_class_the_settings_name_imports():
    dotted = [
        *settings.MIDDLEWARE,
        *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
        *(validator["NAME"] for validator in settings.AUTH_PASSWORD_VALIDATORS),
        *(storage["BACKEND"] for storage in settings.STORAGES.values()),
        "storages.backends.s3.S3Storage",  # the S3 backend, used once a bucket is set
        settings.EMAIL_BACKEND,
        *(handler["class"] for handler in settings.LOGGING["handlers"].values()),
    ]
    for path in dotted:
        import_string(path)
    import_string(f"{settings.ROOT_URLCONF}.urlpatterns")
    # Importing config.asgi would tune this process's garbage collector: finding it is enough.
    assert find_spec(settings.ASGI_APPLICATION.rpartition(".")[0]) is not None


def test_every_beat_job_names_a_registered_task():
    celery_app.loader.import_default_modules()

    names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert [name for name in names if name not in celery_app.tasks] == []


def test_the_configuration_page_lists_every_variable_the_settings_read():
    source = "\n".join(path.read_text() for path in CONFIG.glob("*.py"))
    variables = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (settings.BASE_DIR / "docs" / "configuration.md").read_text()))

    assert {"MEDIA_ENGINE_MODE", "MEDIA_ICE_SERVERS", "ROUNDTABLE_GC_TUNING", "DJANGO_SECRET_KEY"} <= variables
    assert sorted(variables - documented) == []
