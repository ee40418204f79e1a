"""Throttles for the account pages: failed sign-ins per account and per address, sign-ups and
password-reset requests per address.

Each throttle counts attempts in Django's cache in a fixed window that opens with the first
attempt: once the count reaches the limit, the subject waits until the window closes. The
cache is Redis when one is configured (shared by every web process), else the memory of the
embedded default's one process. Limits and windows come from settings.AUTH_THROTTLE.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from rooms.names import normalise


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int
    seconds: int

    def _keys(self, subject: str) -> tuple[str, str]:
        # Hashed: a subject is whatever someone typed, and cache keys must be short and plain.
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        base = f"{settings.AUTH_THROTTLE['KEY_PREFIX']}:{self.name}:{digest}"
        return f"{base}:count", f"{base}:until"

    def wait(self, subject: str) -> int:
        """Seconds `subject` must wait before trying again; 0 while under the limit."""
        count_key, until_key = self._keys(subject)
        values = cache.get_many([count_key, until_key])
        if values.get(count_key, 0) < self.limit:
            return 0
        until = values.get(until_key, time.time() + self.seconds)
        return max(1, math.ceil(until - time.time()))

    def note(self, subject: str) -> None:
        """Count one attempt by `subject`."""
        count_key, until_key = self._keys(subject)
        # add() only sets a missing key: the first attempt opens the window, later ones do not move it.
        cache.add(until_key, time.time() + self.seconds, self.seconds)
        cache.add(count_key, 0, self.seconds)
        try:
            cache.incr(count_key)
        except ValueError:  # the window closed between add() and incr(): this attempt opens a new one
            cache.set(count_key, 1, self.seconds)


def _throttle(name: str, limit_setting: str, window_setting: str) -> Throttle:
    limits = settings.AUTH_THROTTLE
    return Throttle(name, limits[limit_setting], limits[window_setting] * 60)


def login_per_account() -> Throttle:
    return _throttle("login-account", "LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_WINDOW_MINUTES")


def login_per_address() -> Throttle:
    return _throttle("login-address", "LOGIN_FAILURES_PER_ADDRESS", "LOGIN_WINDOW_MINUTES")


def signup_per_address() -> Throttle:
    return _throttle("signup-address", "SIGNUPS_PER_ADDRESS", "SIGNUP_WINDOW_MINUTES")


def password_reset_per_address() -> Throttle:
    return _throttle("reset-address", "PASSWORD_RESETS_PER_ADDRESS", "SIGNUP_WINDOW_MINUTES")


def client_address(request) -> str:
    """The address the request came from. Behind a proxy, settings.AUTH_THROTTLE
    ["CLIENT_ADDRESS_HEADER"] names the header it writes: its last entry is the one our proxy
    saw (entries before it are whatever the client claimed)."""
    header = settings.AUTH_THROTTLE["CLIENT_ADDRESS_HEADER"]
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if entries:
            return entries[-1]
    return request.META.get("REMOTE_ADDR", "")


def account_key(username: str) -> str:
    """One counter per account however its name is typed ("Hana", "ｈａｎａ", "hana")."""
    return normalise(username).casefold()


def login_wait(request, username: str | None) -> int:
    """Seconds before this address, or anyone signing in to `username`, may try a password again."""
    waits = [login_per_address().wait(client_address(request))]
    if username:
        waits.append(login_per_account().wait(account_key(username)))
    return max(waits)


def note_login_failure(request, username: str | None) -> None:
    login_per_address().note(client_address(request))
    if username:
        login_per_account().note(account_key(username))


def retry_message(what: str, seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{what} Try again in {minutes} minute{'s' if minutes != 1 else ''}."
