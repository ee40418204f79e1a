"""Serving private media (live program, recordings): the view checks permission, then the
bytes come from local disk (with HTTP ranges, so players can seek) or, on S3, from a
short-lived signed URL, so the bucket or CDN serves them."""

import asyncio
import os
import re

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse

CONTENT_TYPES = {
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "vtt": "text/vtt; charset=utf-8",
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
}
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


class MissingFile(Http404):
    pass


def exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def serve(
    request,
    name: str,
    *,
    download_as: str | None = None,
    public: bool = False,
    cache: str | None = None,
    expire: int | None = None,
    through_site: bool = False,
):
    """`cache`: the Cache-Control header; by default a day, as a file never changes under its
    name (every render gets new names). On S3: `expire` is the signed URL's lifetime (default
    MEDIA_SIGNED_URL_SECONDS); `through_site` sends the bytes from here instead of redirecting,
    for small files whose relative links must resolve against this URL (an HLS playlist)."""
    if not exists(name):
        raise MissingFile("This file is missing.")
    extension = name.rsplit(".", 1)[-1]
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    disposition = f'attachment; filename="{download_as}"' if download_as else None
    if not isinstance(default_storage, FileSystemStorage):
        if through_site:
            with default_storage.open(name) as f:
                data = f.read()
            response = HttpResponse(b"" if request.method == "HEAD" else data, content_type=content_type)
            response["Content-Length"] = str(len(data))
            response["Cache-Control"] = cache or "private, max-age=86400"
            return response
        parameters = {"ResponseContentDisposition": disposition} if disposition else {}
        url = default_storage.url(name, parameters=parameters, expire=expire or settings.MEDIA_SIGNED_URL_SECONDS)
        return HttpResponseRedirect(url)
    path = default_storage.path(name)
    size = os.path.getsize(path)
    response = _ranged(request, path, size, content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache or ("public" if public else "private") + ", max-age=86400"
    return response


def _ranged(request, path: str, size: int, content_type: str):
    """The whole file (200) or the one range asked for (206); a HEAD gets the same headers and
    no body. Several ranges in one header get the whole file, which HTTP allows."""
    match = RANGE.match(request.headers.get("Range", "").strip())
    start, end, status = 0, size - 1, 200
    if match and (match[1] or match[2]):
        status = 206
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # the last N bytes
            start = max(0, size - int(match[2]))
        if start >= size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
    length = end - start + 1
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    else:
        # Under ASGI a sync iterator makes Django warn and read the whole file into memory
        # before sending it, so the ASGI handler gets chunks it can await.
        chunks = _read_async if isinstance(request, ASGIRequest) else _read
        response = StreamingHttpResponse(chunks(path, start, length), status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _read(path: str, start: int, length: int):
    with open(path, "rb") as f:
        f.seek(start)
        while length > 0:
            data = f.read(min(CHUNK, length))
            if not data:
                break
            length -= len(data)
            yield data


async def _read_async(path: str, start: int, length: int):
    # Each read in a thread: the event loop also carries the room sockets and, embedded, the
    # media engine.
    chunks = _read(path, start, length)
    try:
        while (data := await asyncio.to_thread(next, chunks, None)) is not None:
            yield data
    finally:
        chunks.close()
