"""Clips of a published replay whose voices are pure tones written straight into the tracks:
the host says 500 Hz over 0-20 s, the speaker 700 Hz over 10-30 s, the co-host 1100 Hz over
0-30 s of the space's clock; the whole 30 s were recorded."""

from types import SimpleNamespace

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.test import Client

from clips import services
from clips.models import Clip
from clips.tasks import render_clip
from recordings.models import Render
from recordings.services import do_publish
from recordings.tasks import render_recording
from tests.audio import band_peak
from tests.recordings.conftest import end_recorded_space, media_root, write_voice  # noqa: F401

TONES = {"host": 500.0, "speaker": 700.0, "cohost": 1100.0}
ROLES = ["guest", "outsider", "listener", "speaker", "cohost", "host", "staff"]


@pytest.fixture
def replay(people, queued, django_capture_on_commit_callbacks):
    space = people.space
    write_voice(space.pk, people.host.pk, TONES["host"], 0, 20)
    write_voice(space.pk, people.speaker.pk, TONES["speaker"], 10, 30)
    write_voice(space.pk, people.cohost.pk, TONES["cohost"], 0, 30)
    with django_capture_on_commit_callbacks(execute=True):
        recording = end_recorded_space(space, [(0, 30)], 30)
    assert render_recording(recording.renders.get(kind=Render.Kind.ORIGINAL).pk) == "ready"
    do_publish(people.host, recording.pk)
    recording.refresh_from_db()
    return SimpleNamespace(recording=recording, **vars(people))


def run_jobs(queued, name: str, task) -> list[str]:
    """Run the jobs of one name the services queued, in order, as the worker would."""
    outcomes = []
    while any(queued_name == name for queued_name, *_ in queued):
        index = next(i for i, (queued_name, *_) in enumerate(queued) if queued_name == name)
        _, clip_id = queued.pop(index)
        outcomes.append(task(clip_id))
    return outcomes


def run_renders(queued) -> list[str]:
    """Run the clip renders the services queued."""
    return run_jobs(queued, "clips.render", render_clip)


def decoded(name: str) -> np.ndarray:
    """A stored file (or a path on disk) decoded to int16 samples."""
    path = name if name.startswith("/") else default_storage.path(name)
    with av.open(path) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    pcm = np.concatenate(frames) if frames else np.zeros(0, dtype=np.float32)
    return (pcm * 32767).astype(np.int16) if pcm.dtype.kind == "f" else pcm.astype(np.int16)


def tones_in(pcm: np.ndarray) -> set[str]:
    """The voices clearly present (well above the noise floor) in a mix."""
    return {who for who, freq in TONES.items() if band_peak(pcm, freq) > 0.1}


def clip_of(pk: int) -> Clip:
    return Clip.objects.get(pk=pk)


def client_for(people, role) -> Client:
    client = Client()
    if role != "guest":
        client.force_login(getattr(people, role))
    return client


@pytest.fixture
def asking(replay):
    """A clip of 5-15 s made by the listener: host, speaker and co-host asked."""
    return services.do_clip_replay(replay.listener, replay.recording.pk, 5000, 15000, "Best bit", "")


@pytest.fixture
def shared(replay, asking, queued, django_capture_on_commit_callbacks):
    for user in (replay.host, replay.speaker, replay.cohost):
        with django_capture_on_commit_callbacks(execute=True):
            services.do_answer(user, asking.voices.get(speaker=user).pk, "yes")
    run_renders(queued)
    return clip_of(asking.pk)
