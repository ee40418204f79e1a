"""Django-side setup for the fan-out benchmark (run as a subprocess with DATABASE_URL set).

    python -m tests.bench.bench_setup TAG HAND_ACCOUNTS REACTORS

Creates, for one benchmark size, a host, a speaker, HAND_ACCOUNTS listener accounts that
raise and lower their hand, REACTORS accounts that send reactions (the speaker is the first
of them) and one live space, plus a logged-in session for every account that will open a
socket. Prints one JSON object on stdout.

`ensure_ffmpeg()` is the machine-side setup of the recording-finalize benchmark (its baseline
is Debian's ffmpeg command line): `python -m tests.bench.bench_setup ffmpeg` installs it.
"""

import json
import os
import shutil
import subprocess
import sys

FFMPEG_PACKAGE = "ffmpeg"  # Debian's, with libmp3lame


def ensure_ffmpeg() -> str:
    """Path of Debian's `ffmpeg` (/usr/bin/ffmpeg), installed with apt-get when missing and root."""
    path = "/usr/bin/ffmpeg"
    if os.access(path, os.X_OK):
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            f"{path} is missing: install Debian's ffmpeg first "
            "(sudo apt-get install -y --no-install-recommends ffmpeg), then run the benchmark again"
        )
    print("[bench] installing Debian's ffmpeg (apt-get)", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", FFMPEG_PACKAGE], check=True, env=env)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"apt-get installed {FFMPEG_PACKAGE} but {path} is still missing")
    return path


def session_for(user) -> str:
    """A logged-in session key for `user` (a benchmark's sockets carry it as their cookie)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def main(tag: str, hand_accounts: int, reactors: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from rooms.models import Participant, Space

    User = get_user_model()

    def user(name: str):
        return User.objects.create_user(username=f"{name}_{tag}", email=f"{name}_{tag}@example.com", password=None)

    now = timezone.now()
    host = user("bench_host")
    speaker = user("bench_speaker")
    space = Space.objects.create(
        title=f"Fan-out benchmark {tag}",
        host=host,
        state=Space.State.LIVE,
        started_at=now,
        last_presence_at=now,
    )
    Participant.objects.create(space=space, user=host, role=Participant.Role.HOST, muted=False)
    Participant.objects.create(space=space, user=speaker, role=Participant.Role.SPEAKER, muted=False)
    hands = [user(f"bench_hand{i}") for i in range(hand_accounts)]
    reacting = [speaker] + [user(f"bench_react{i}") for i in range(1, reactors)]
    return {
        "space_id": space.pk,
        "host_id": host.pk,
        "hands": [{"user_id": u.pk, "username": u.username, "session": session_for(u)} for u in hands],
        "reactors": [{"user_id": u.pk, "username": u.username, "session": session_for(u)} for u in reacting],
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["ffmpeg"]:
        print(ensure_ffmpeg())
    else:
        print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
