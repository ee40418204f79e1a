"""Private media served from local disk under ASGI (as uvicorn serves it): whole files and
ranges stream through Django's ASGI handler with no "must consume synchronous iterators"
warning, which also meant Django read the whole file into memory before sending it."""

import io
import warnings

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIHandler, ASGIRequest

from rooms.media import files

AUDIO = bytes(range(256)) * 1000  # several chunks


def asgi_request(method="GET", headers=()):
    scope = {
        "type": "http",
        "method": method,
        "path": "/file",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
    }
    return ASGIRequest(scope, io.BytesIO())


async def send_through_asgi(response):
    """What the ASGI handler sends to the server for this response: status and body."""
    messages = []

    async def send(message):
        messages.append(message)

    await ASGIHandler().send_response(response, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


@pytest.fixture
def name():
    return default_storage.save("recordings/1/audio.mp3", ContentFile(AUDIO))


@pytest.mark.parametrize(
    "headers,status,body",
    [((), 200, AUDIO), (((b"range", b"bytes=1000-199999"),), 206, AUDIO[1000:200000])],
)
async def test_it_streams_files_and_ranges_under_asgi_without_a_warning(name, headers, status, body):
    response = files.serve(asgi_request(headers=headers), name)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sent = await send_through_asgi(response)

    assert sent == (status, body)
    assert [str(w.message) for w in caught] == []


async def test_it_sends_no_body_to_head_under_asgi(name):
    response = files.serve(asgi_request("HEAD"), name)

    assert await send_through_asgi(response) == (200, b"")
    assert response["Content-Length"] == str(len(AUDIO))
