"""Pages and files of recordings: the public replay, the host's recording page (progress,
edit, publish, downloads), and the audio behind them. Each view calls one service."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST, require_safe

from recordings import search, services, transcript_services, transcripts
from recordings.forms import EditForm
from recordings.models import ModerationCopy, Render, Transcript
from rooms.errors import RoomError
from rooms.media import files
from rooms.models import Participant
from rooms.views import post_action, room_errors

PLAYED_SESSION_KEY = "played_recordings"


def render_data(render_obj: Render | None) -> dict | None:
    if render_obj is None:
        return None
    return {
        "id": render_obj.pk,
        "kind": render_obj.kind,
        "state": render_obj.state,
        "progress": render_obj.progress,
        "error": render_obj.error,
        "duration_ms": render_obj.duration_ms,
    }


def transcript_data(transcript: Transcript | None) -> dict | None:
    if transcript is None:
        return None
    return {"state": transcript.state, "progress": transcript.progress, "error": transcript.error}


@ensure_csrf_cookie  # the player posts the play count
@room_errors
def replay(request, recording_id):
    recording = services.access_replay(request.user, recording_id)
    current = recording.current
    ready = current is not None and current.is_ready and files.exists(current.m4a)
    return render(
        request,
        "recordings/replay.html",
        {
            "recording": recording,
            "space": recording.space,
            "current": current,
            "ready": ready,
            "speakers": recording.speakers.all(),
            "cues": transcripts.replay_cues(current),
            "can_see": services.can_see(request.user, recording),
            "share_url": request.build_absolute_uri(recording.get_absolute_url()),
        },
    )


@require_safe
def replay_search(request):
    """Replays found by what was said in them (published transcripts only)."""
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    return render(request, "recordings/search.html", {"query": query, "hits": search.find_replays(query)})


@require_safe
@room_errors
def replay_transcript(request, recording_id, fmt):
    """The replay's transcript as WebVTT (the player's captions track) or plain text, for
    whoever may play the replay; `?download=1` saves it."""
    recording = services.access_replay(request.user, recording_id)
    base = slugify(recording.space.title)[:60] or "space"
    return transcript_response(
        recording.current, fmt, download_as=f"{base}.{fmt}" if request.GET.get("download") else None
    )


def transcript_response(render_obj: Render | None, fmt: str, download_as: str | None) -> HttpResponse:
    if render_obj is None or not render_obj.is_ready or not render_obj.cues:
        raise Http404("This version has no transcript.")
    if fmt == "vtt":
        response = HttpResponse(transcripts.to_vtt(render_obj.cues), content_type="text/vtt; charset=utf-8")
    else:
        response = HttpResponse(
            transcripts.plain_text(render_obj.cues) + "\n", content_type="text/plain; charset=utf-8"
        )
    if download_as:
        response["Content-Disposition"] = f'attachment; filename="{download_as}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
@room_errors
def replay_played(request, recording_id):
    """The player reports a play once it has played a few seconds: counted once per session."""
    recording = services.access_replay(request.user, recording_id)
    played = request.session.get(PLAYED_SESSION_KEY, [])
    if recording.pk not in played:
        services.do_count_play(recording)
        request.session[PLAYED_SESSION_KEY] = (played + [recording.pk])[-200:]
    return HttpResponse(status=204)


@require_safe
@room_errors
def replay_audio(request, recording_id, fmt):
    recording = services.access_replay(request.user, recording_id)
    current = recording.current
    if current is None or not current.is_ready:
        raise Http404("Not ready.")
    return files.serve(request, getattr(current, fmt), public=recording.is_published)


@login_required
@require_safe
@room_errors
def render_audio(request, recording_id, render_id, fmt):
    """Any render of a recording (the editor plays the original) for the host and staff."""
    recording = services.access_recording(request.user, recording_id)
    render_obj = recording.renders.filter(pk=render_id, state=Render.State.READY).first()
    if render_obj is None or recording.is_gone:
        raise Http404("No such version.")
    return files.serve(request, getattr(render_obj, fmt))


@login_required
@room_errors
def recording_page(request, recording_id, form=None, status=200):
    recording = services.access_recording(request.user, recording_id)
    original = recording.original
    latest = recording.renders.first()
    copy = ModerationCopy.objects.filter(space_id=recording.space_id).first()
    return render(
        request,
        "recordings/recording.html",
        {
            "recording": recording,
            "space": recording.space,
            "current": recording.current,
            "original": original,
            "latest": latest,
            "pending": services.pending_edit(recording, latest),
            "is_manager": services.is_manager(request.user, recording),
            "form": form or EditForm(initial=EditForm.initial_for(recording)),
            "copy": copy,
            "missing": [
                r.get_kind_display()
                for r in (original, recording.current)
                if r is not None and r.is_ready and not (files.exists(r.m4a) and files.exists(r.mp3))
            ],
            "transcript": Transcript.objects.filter(space_id=recording.space_id).first(),
            "transcript_ok": bool(recording.current and recording.current.cues),
            "opted_out": [
                p.user
                for p in Participant.objects.filter(space=recording.space, recording_opt_out=True).select_related(
                    "user"
                )
            ],
            "unpublished_days": settings.RECORDINGS["UNPUBLISHED_DAYS"],
            "keep_until": recording.space.ended_at + timedelta(days=settings.RECORDINGS["UNPUBLISHED_DAYS"])
            if recording.space.ended_at
            else None,
        },
        status=status,
    )


@login_required
@require_GET
@room_errors
def recording_status(request, recording_id):
    recording = services.access_recording(request.user, recording_id)
    return JsonResponse(
        {
            "latest": render_data(recording.renders.first()),
            "current": render_data(recording.current),
            "published": recording.is_published,
            "edits_version": recording.edits_version,
            "transcript": transcript_data(Transcript.objects.filter(space_id=recording.space_id).first()),
        }
    )


@login_required
@require_POST
@room_errors
def recording_edit(request, recording_id):
    # Who may edit is settled before the input is read: anyone else gets the same 404 (or
    # staff the 403) whatever they send, never a form error about a recording they cannot see.
    services.access_recording(request.user, recording_id, manage=True)
    form = EditForm(request.POST)
    if not form.is_valid():
        return recording_page(request, recording_id, form=form, status=400)
    try:
        services.do_save_edits(request.user, recording_id, form.edits(), form.cleaned_data["version"])
    except RoomError as error:
        if error.http_status == 404 or error.http_status == 403:
            raise
        form.add_error(None, error.message)
        return recording_page(request, recording_id, form=form, status=error.http_status)
    messages.success(request, "Saved. The edited version is being rendered; the original is kept.")
    return redirect("recording", recording_id)


recording_revert = post_action(
    services.do_revert, "Reverted to the original recording.", "recording", fields=["version"]
)
recording_publish = post_action(services.do_publish, "Published: anyone can play the replay now.", "recording")
recording_unpublish = post_action(
    services.do_unpublish, "Unpublished: only you (and staff) can play it now.", "recording"
)
recording_use = post_action(
    services.do_use_render, "Published: the replay now plays your edit.", "recording", fields=["render"]
)
recording_discard = post_action(services.do_discard_edit, "Edit discarded.", "recording", fields=["version"])
recording_retry = post_action(services.do_retry_render, "Trying again.", "recording")
recording_transcribe = post_action(
    transcript_services.do_request_transcript,
    "The transcript is being made. It shows here, and on the replay, when it is ready.",
    "recording",
)
recording_delete = post_action(services.do_delete_recording, "The recording was deleted.", "recording")


@login_required
@require_POST
@room_errors
def recording_leave(request, recording_id):
    """A speaker takes their voice out of an ended space's recording (the space page's button)."""
    recording = services.do_leave_recording(request.user, recording_id)
    messages.success(request, "Your voice is out: the recording is being made again without it.")
    return redirect("space", recording.space_id)


@login_required
@require_safe
@room_errors
def recording_download(request, recording_id, fmt):
    """The host and staff download the current version (M4A or MP3) or the transcript."""
    recording = services.access_recording(request.user, recording_id)
    if recording.is_gone:
        raise Http404("This recording was deleted.")
    base = slugify(recording.space.title)[:60] or "space"
    current = recording.current
    if fmt in ("vtt", "txt"):
        return transcript_response(current, fmt, download_as=f"{base}.{fmt}")
    if current is None or not current.is_ready:
        raise Http404("Not ready yet.")
    return files.serve(request, getattr(current, fmt), download_as=f"{base}.{fmt}")
