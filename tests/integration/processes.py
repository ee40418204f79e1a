"""Starting and stopping the real processes of the integration tier: Celery workers and
media engines, each logging to a file (a pipe nobody reads would fill and block them)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.waiting import poll  # noqa: F401  (the integration tests wait with it)

CELERY_WORKER = [
    sys.executable,
    "-m",
    "celery",
    "-A",
    "config",
    "worker",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
]


def worker_env(**extra: str) -> dict:
    """The environment of a process started by a test: this run's test database and Redis."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_worker(env: dict, log, level: str = "warning", *, pool: str = "solo") -> subprocess.Popen:
    """`pool="prefork"`: one pool process under the worker (killed alone, the worker replaces
    it); either way the worker leads its own process group, so kill_tree() takes all of it."""
    size = ["-c", "1"] if pool == "prefork" else []
    return subprocess.Popen(
        [*CELERY_WORKER, "-P", pool, *size, "-l", level],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def children(pid: int) -> list[int]:
    """The live child processes of `pid`, from /proc (no psutil)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid ...": the name may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it exited while we looked
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the process and everything in its group, as the OOM killer or a lost host would."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Ask the process to stop (it finishes what it is doing); kill it if it will not."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
