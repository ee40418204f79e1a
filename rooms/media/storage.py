"""Writing media through Django's storage API: local disk by default, S3 when configured."""

import os
import shutil
import tempfile

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage


def space_prefix(space_id: int) -> str:
    """Everything the engine keeps of one space (its program, tracks and closed marker): the
    space's moderation copy."""
    return f"spaces/{space_id}/"


def put(name: str, data: bytes, storage=None) -> str:
    """Write `data` at exactly `name`, replacing what was there.

    On local disk the file is swapped in atomically, so a listener polling the playlist
    never reads half of one. S3 PUTs replace whole objects anyway.
    """
    return _replace(name, ContentFile(data), storage or default_storage)


def put_file(name: str, path: str, storage=None) -> str:
    """Like put(), from a file on local disk (large renders are never held in memory)."""
    with open(path, "rb") as f:
        return _replace(name, File(f, name=os.path.basename(name)), storage or default_storage)


def _replace(name: str, content: File, storage) -> str:
    if isinstance(storage, FileSystemStorage):
        target = storage.path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            for chunk in content.chunks():
                out.write(chunk)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        return name
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, content)


def walk(prefix: str, storage=None):
    """Every file name under a folder of the storage."""
    storage = storage or default_storage
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for file in files:
        yield prefix.rstrip("/") + "/" + file
    for folder in dirs:
        yield from walk(prefix.rstrip("/") + "/" + folder, storage)


def delete_tree(prefix: str, storage=None) -> int:
    """Delete every file under a folder (then the empty folders, on local disk). Safe to repeat."""
    storage = storage or default_storage
    count = 0
    for name in list(walk(prefix, storage)):
        storage.delete(name)
        count += 1
    if isinstance(storage, FileSystemStorage):
        shutil.rmtree(storage.path(prefix), ignore_errors=True)
    return count
