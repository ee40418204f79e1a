"""The live program for listeners: the HLS playlist and segments the media engine writes."""

from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponseForbidden, HttpResponseRedirect
from django.views.decorators.http import require_GET

from rooms.media.program import program_prefix
from rooms.models import Participant, Space

CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}


@require_GET
def live_media(request, space_id, name):
    """Anyone may listen to a live space, guests included; people removed from it may not.

    The URL pattern admits only `live.m3u8` and `seg_NNNNNN.ts`, so no other path of the
    storage can be reached through it."""
    space = Space.objects.filter(pk=space_id).only("state").first()
    if space is None or space.state not in (Space.State.LIVE, Space.State.ENDED):
        raise Http404("No live audio for this space.")
    if (
        request.user.is_authenticated
        and Participant.objects.filter(space=space, user=request.user, removed=True).exists()
    ):
        return HttpResponseForbidden("You were removed from this space.")
    path = program_prefix(space.pk) + name
    if not default_storage.exists(path):
        raise Http404("Not written yet.")
    if not isinstance(default_storage, FileSystemStorage):
        # S3 and the like: a short-lived signed URL, so the CDN or bucket serves the bytes.
        return HttpResponseRedirect(default_storage.url(path))
    extension = name[name.rfind(".") :]
    response = FileResponse(default_storage.open(path), content_type=CONTENT_TYPES[extension])
    # The playlist changes every segment; a segment never changes once written.
    response["Cache-Control"] = "no-cache" if extension == ".m3u8" else "private, max-age=3600"
    return response
