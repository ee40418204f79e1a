"""Writing media through Django's storage API: local disk by default, S3 when configured."""

import os
import tempfile

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage


def put(name: str, data: bytes, storage=None) -> str:
    """Write `data` at exactly `name`, replacing what was there.

    On local disk the file is swapped in atomically, so a listener polling the playlist
    never reads half of one. S3 PUTs replace whole objects anyway.
    """
    storage = storage or default_storage
    if isinstance(storage, FileSystemStorage):
        path = storage.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return name
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(data))
