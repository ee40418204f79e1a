"""Django-side setup for the fan-out benchmark (run as a subprocess with DATABASE_URL set).

    python -m tests.bench.bench_setup TAG HAND_ACCOUNTS REACTORS

Creates, for one benchmark size, a host, a speaker, HAND_ACCOUNTS listener accounts that
raise and lower their hand, REACTORS accounts that send reactions (the speaker is the first
of them) and one live space, plus a logged-in session for every account that will open a
socket. Prints one JSON object on stdout.

`ensure_ffmpeg()` is the machine-side setup of the recording-finalize benchmark (its baseline
is Debian's ffmpeg command line): `python -m tests.bench.bench_setup ffmpeg` installs it.

Shared by the benchmarks: `start_site()` starts the site as users run it (scripts/web), and
`describe_run()` / `run_lines()` give the command line, commit and date that reproduce a run.
"""

import argparse
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

FFMPEG_PACKAGE = "ffmpeg"  # Debian's, with libmp3lame
ROOT = Path(__file__).resolve().parents[2]
SITE_APP = "config.asgi:application"
ASGI_SERVERS = ("site", "daphne")


# --- what reproduces a run ----------------------------------------------------------------------
def reproduce_command(module: str, parser: argparse.ArgumentParser, args, env_names=()) -> str:
    """`python -m tests.bench.<module>` with every option in effect, defaults included, so that
    a later change of a default cannot change what the printed command runs. Environment
    variables the benchmark reads go in front when they are set."""
    words = [f"{name}={os.environ[name]}" for name in env_names if name in os.environ]
    words += ["python", "-m", f"tests.bench.{module}"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        value = getattr(args, action.dest, None)
        if value is None:
            continue
        if isinstance(action, argparse._StoreTrueAction):
            if value:
                words.append(action.option_strings[0])
            continue
        if isinstance(value, list | tuple | set):
            value = ",".join(str(v) for v in value)
        words += [action.option_strings[0], str(value)] if action.option_strings else [str(value)]
    return shlex.join(words)


def git_commit() -> dict:
    """The checkout's short commit, and whether tracked files differ from it."""

    def git(*argv):
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=30)

    try:
        head = git("rev-parse", "--short", "HEAD")
        changes = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": "unknown", "uncommitted_changes": None}
    if head.returncode:
        return {"commit": "unknown", "uncommitted_changes": None}
    return {"commit": head.stdout.strip(), "uncommitted_changes": bool(changes.stdout.strip())}


def describe_run(module: str, parser: argparse.ArgumentParser, args, env_names=()) -> dict:
    return {
        "command": reproduce_command(module, parser, args, env_names),
        **git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_lines(run: dict) -> str:
    dirty = " (with uncommitted changes)" if run["uncommitted_changes"] else ""
    return f"reproduce with: {run['command']}\nat commit {run['commit']}{dirty}, started {run['date']}"


# --- the site's server --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s")


def start_site(procs, asgi_server: str, env: dict, logfile: Path, app: str = SITE_APP):
    """Starts the site on a free port of 127.0.0.1 and waits until it listens: (process, port).

    `site` is scripts/web, what users run (uvicorn with the site's flags; it execs, so the
    process is the server itself). `daphne` serves the same application on daphne, the server
    the site used before, as a what-if. `procs` is the benchmark's room_fanout.Processes."""
    port = free_port()
    if asgi_server == "site":
        if app != SITE_APP:
            raise ValueError(f"scripts/web serves {SITE_APP} only; use --asgi-server daphne for {app}")
        command = ["bash", str(ROOT / "scripts" / "web")]
        env = {**env, "PYTHON": sys.executable, "HOST": "127.0.0.1", "PORT": str(port)}
    elif asgi_server == "daphne":
        command = [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), app]
    else:
        raise ValueError(f"unknown ASGI server {asgi_server!r} (one of {', '.join(ASGI_SERVERS)})")
    proc = procs.start(command, env, logfile)
    wait_port(port, proc)
    return proc, port


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
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # A session names the backend that signed it in; one not in AUTHENTICATION_BACKENDS is signed out.
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
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
