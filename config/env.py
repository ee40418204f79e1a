"""Typed readers for environment variables that fail loudly on nonsense.

Every reader names the variable, the value it found and what would be allowed. A variable
set to the empty string counts as not set (a `FOO=` line in an env file means "default").

config/settings.py calls `collect_problems()` before its first read and `raise_problems()`
after its last, so one start-up reports every wrong variable together instead of one per
restart; a bad value then reads as its default until the end of settings, where
ImproperlyConfigured stops the start. Outside that window (a reader called on its own) the
first problem raises at once.
"""

import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterable
from email.utils import parseaddr
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar, overload
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Schemes whose URL names no host: a file, a socket path.
_HOSTLESS_SCHEMES = {"sqlite", "unix"}

_problems: list[str] | None = None


def collect_problems() -> None:
    global _problems
    _problems = []


def raise_problems() -> None:
    global _problems
    problems, _problems = _problems or [], None
    if len(problems) == 1:
        raise ImproperlyConfigured(problems[0])
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ImproperlyConfigured(f"{len(problems)} settings are wrong:\n{listed}")


@overload
def problem(message: str) -> None: ...
@overload
def problem(message: str, fallback: T) -> T: ...
def problem(message: str, fallback: Any = None) -> Any:
    """Report a bad setting; while settings collect, go on with `fallback`."""
    if _problems is None:
        raise ImproperlyConfigured(message)
    _problems.append(message)
    return fallback


def _raw(name: str) -> str | None:
    raw = os.environ.get(name)
    return None if raw is None or raw.strip() == "" else raw


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default if raw is None else raw


def env_bool(name: str, default: bool = False) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return problem(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off", default)


def env_int(name: str, default: int, *, min: int | None = None, max: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    if min is not None and max is not None:
        allowed = f"a whole number from {min} to {max}"
    elif min is not None:
        allowed = f"a whole number of at least {min}"
    elif max is not None:
        allowed = f"a whole number of at most {max}"
    else:
        allowed = "a whole number"
    try:
        value = int(raw.strip())
    except ValueError:
        return problem(f"{name}={raw!r} is not {allowed}", default)
    if (min is not None and value < min) or (max is not None and value > max):
        return problem(f"{name}={raw!r} is not {allowed}", default)
    return value


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    """One of `choices`, matched without regard to case and given back as spelled there."""
    choices = list(choices)
    raw = _raw(name)
    if raw is None:
        return default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    return problem(f"{name}={raw!r} is not one of: {', '.join(choices)}", default)


def env_list(name: str, default: list[str], *, item: Callable[[str], str | None] | None = None) -> list[str]:
    """Comma-separated; `item` returns what is wrong with one entry (or None if nothing)."""
    raw = _raw(name)
    if raw is None:
        return list(default)
    values = [value.strip() for value in raw.split(",") if value.strip()]
    wrong = [f"{value!r} {error}" for value in values if item and (error := item(value))]
    if wrong:
        return problem(f"{name}={raw!r}: {'; '.join(wrong)}", list(default))
    return values


def env_json(name: str, default: Any, validator: Callable[[Any], list[str]]) -> Any:
    """JSON that `validator` accepts: it returns the list of what is wrong (empty when good)."""
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        return problem(f"{name}={raw!r} is not valid JSON ({error})", default)
    errors = validator(value)
    if errors:
        return problem(f"{name}={raw!r}: {'; '.join(errors)}", default)
    return value


def url_error(value: str, schemes: Iterable[str]) -> str | None:
    """What is wrong with `value` as a URL with one of `schemes` (None if nothing)."""
    schemes = list(schemes)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parsing the port is what raises on "host:abc"
    except ValueError as error:
        return f"is not a URL ({error})"
    if parts.scheme.lower() not in schemes:
        return f"does not start with one of: {', '.join(f'{scheme}://' for scheme in schemes)}"
    if not parts.hostname and parts.scheme.lower() not in _HOSTLESS_SCHEMES:
        return "names no host"
    return None


def env_checked(name: str, default: str, error: Callable[[str], str | None]) -> str:
    """A string that `error` accepts: it returns what is wrong with a value (None if nothing)."""
    raw = _raw(name)
    if raw is None:
        return default
    wrong = error(raw.strip())
    if wrong:
        return problem(f"{name}={raw!r} {wrong}", default)
    return raw.strip()


def env_url(name: str, default: str, schemes: Iterable[str]) -> str:
    schemes = list(schemes)
    return env_checked(name, default, lambda value: url_error(value, schemes))


def origin_error(value: str) -> str | None:
    """What is wrong with `value` as a web origin (scheme://host[:port], no path)."""
    error = url_error(value, ["http", "https"])
    if error:
        return error
    if urlsplit(value).path not in ("", "/"):
        return "is not an origin (scheme://host[:port], no path)"
    return None


def host_error(value: str) -> str | None:
    """What is wrong with `value` as a bare host name (as ALLOWED_HOSTS or a CDN domain take)."""
    if "://" in value or "/" in value:
        return "is a URL, not a host name (leave out the scheme and path)"
    return None


def ip_address_error(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "is not an IP address"
    return None


_HEADER = re.compile(r"^[A-Za-z0-9-]+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def header_error(value: str) -> str | None:
    """What is wrong with `value` as an HTTP header's name as a client sends it (X-Forwarded-For)."""
    return None if _HEADER.match(value) else "is not a header name (letters, digits and '-', e.g. X-Forwarded-For)"


def bucket_error(value: str) -> str | None:
    return None if _BUCKET.match(value) else "is not a bucket name (3-63 lower-case letters, digits, '.', '-')"


def email_error(value: str) -> str | None:
    """What is wrong with `value` as a sender: `name@host` or `Roundtable <noreply@example.org>`."""
    return None if "@" in parseaddr(value)[1] else "is not an e-mail address (name@host or Name <name@host>)"


def import_path_error(value: str) -> str | None:
    """What is wrong with `value` as a dotted path to a class (a Django backend): its module must exist."""
    module, _, attribute = value.rpartition(".")
    if not module or not attribute:
        return "is not a dotted path (package.module.Class)"
    try:
        found = find_spec(module)
    except (ImportError, ValueError):
        found = None
    return None if found else f"names module {module!r}, which does not exist"


def model_dir_error(value: str) -> str | None:
    """A CTranslate2 Whisper model is a directory holding model.bin and config.json."""
    path = Path(value)
    if not path.is_dir():
        return "is not a directory"
    missing = [name for name in ("model.bin", "config.json") if not (path / name).is_file()]
    if missing:
        return f"is not a CTranslate2 Whisper model (no {', '.join(missing)} in it)"
    return None


def bundled_model_dir(package: str) -> str:
    """Where a registry package that ships a model keeps it, found without running the
    package's code (only its model files are read)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(list(spec.submodule_search_locations)[0]) / "model")


def env_model_dir(name: str, package: str) -> str:
    """The model `name` points at, or the one `package` ships; a missing or broken model is a
    start-up problem, never a failure in the middle of a job."""
    raw = _raw(name)
    if raw is not None:
        return env_checked(name, "", model_dir_error)
    path = bundled_model_dir(package)
    if not path:
        return problem(
            f"{name} is not set and the bundled speech model ({package}) is not installed: "
            "run bash scripts/setup, or point it at a CTranslate2 Whisper model",
            "",
        )
    if error := model_dir_error(path):
        return problem(f"the bundled speech model at {path} {error}: reinstall {package}", "")
    return path


def env_host(name: str, default: str = "") -> str:
    return env_checked(name, default, host_error)


def env_header(name: str) -> str:
    return env_checked(name, "", header_error)


def env_bucket(name: str) -> str:
    return env_checked(name, "", bucket_error)


def env_email(name: str, default: str) -> str:
    return env_checked(name, default, email_error)


def env_import_path(name: str, default: str) -> str:
    return env_checked(name, default, import_path_error)


ICE_SCHEMES = ("stun:", "turn:", "turns:")
_ICE_KEYS = {"urls", "username", "credential"}


def ice_servers_errors(value: Any) -> list[str]:
    """What is wrong with `value` as MEDIA_ICE_SERVERS: the RTCIceServer list both aiortc and
    the browser are given, so anything either would refuse is refused here."""
    if not isinstance(value, list):
        return ['not a JSON list: use [{"urls": "stun:host:3478"}, ...]']
    errors = []
    for number, server in enumerate(value, 1):
        where = f"server {number}"
        if not isinstance(server, dict):
            errors.append(f'{where} is not an object like {{"urls": "turn:host:3478", ...}}')
            continue
        unknown = sorted(set(server) - _ICE_KEYS)
        if unknown:
            errors.append(f"{where} has unknown keys {', '.join(unknown)} (allowed: urls, username, credential)")
        urls = server.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if not urls or not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
            errors.append(f'{where} needs "urls": a string or a list of strings')
            continue
        bad = [url for url in urls if not url.lower().startswith(ICE_SCHEMES)]
        if bad:
            errors.append(f"{where}: {', '.join(map(repr, bad))} does not start with stun:, turn: or turns:")
        for key in ("username", "credential"):
            if key in server and not isinstance(server[key], str):
                errors.append(f'{where}: "{key}" is not a string')
        has = [key for key in ("username", "credential") if server.get(key)]
        # Browsers refuse a TURN server without both (InvalidAccessError), and aiortc cannot
        # authenticate to one; a STUN server takes neither, or both harmlessly.
        if any(url.lower().startswith(("turn:", "turns:")) for url in urls) and len(has) < 2:
            errors.append(f'{where} is a TURN server and needs both "username" and "credential"')
        elif len(has) == 1:
            errors.append(f'{where} has "{has[0]}" without the other: give both "username" and "credential" or neither')
    return errors
