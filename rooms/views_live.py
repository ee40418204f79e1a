"""The live program for listeners: the HLS playlist and segments the media engine writes."""

from django.http import Http404, HttpResponseForbidden
from django.views.decorators.http import require_safe

from rooms.media import files
from rooms.media.program import program_prefix
from rooms.models import Participant, Space

LIVE_URL_SECONDS = 30


@require_safe  # GET and HEAD: players and podcast apps ask HEAD first
def live_media(request, space_id, name):
    """Anyone may listen to a live space, guests included; people removed from it may not.

    The URL pattern admits only `live.m3u8` and `seg_NNNNNN.ts`, so no other path of the
    storage can be reached through it."""
    space = Space.objects.filter(pk=space_id).only("state").first()
    # Only while live: after the end the same files are the space's moderation copy (every
    # voice, opted out or not, recorded or not), which staff reach through moderation review
    # and the host through the recording's own rules, never through these public URLs.
    if space is None or space.state != Space.State.LIVE:
        raise Http404("No live audio for this space.")
    if (
        request.user.is_authenticated
        and Participant.objects.filter(space=space, user=request.user, removed=True).exists()
    ):
        return HttpResponseForbidden("You were removed from this space.")
    # The playlist changes every segment; a segment never changes once written.
    playlist = name.endswith(".m3u8")
    cache = "no-cache" if playlist else "private, max-age=3600"
    # On S3 the playlist comes through here, so players resolve its segment names against this
    # URL and every segment passes this check; a segment's signed URL lives only long enough
    # to be fetched, so none still works once the space has ended.
    return files.serve(
        request, program_prefix(space.pk) + name, cache=cache, through_site=playlist, expire=LIVE_URL_SECONDS
    )
