"""Starting and stopping the real processes of the integration tier: Celery workers and
media engines, each logging to a file (a pipe nobody reads would fill and block them)."""

import subprocess
import sys

from django.conf import settings

CELERY_WORKER = [
    sys.executable,
    "-m",
    "celery",
    "-A",
    "config",
    "worker",
    "-P",
    "solo",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
]


def start_worker(env: dict, log, level: str = "warning") -> subprocess.Popen:
    return subprocess.Popen(
        [*CELERY_WORKER, "-l", level], env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
    )


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
