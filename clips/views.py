"""Pages and files of clips: making one (from a replay range or a live space), the share page
and its embeddable player, oEmbed, the speaker's clip requests and their answers, the
creator's and host's and staff's buttons. Each view calls one service."""

from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from clips import rendering, services
from clips.models import Clip, ConsentPreference, Voice
from recordings import timeline
from recordings.models import Recording
from recordings.transcripts import replay_cues
from rooms.errors import InvalidRequest, NotFound, RoomError
from rooms.media import files
from rooms.views import room_errors

PLAYED_SESSION_KEY = "played_clips"


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def clip_data(request, clip: Clip) -> dict:
    return {
        "id": clip.pk,
        "state": clip.state,
        "title": clip.title,
        "url": request.build_absolute_uri(clip.get_absolute_url()),
        "seconds": round(clip.length_ms / 1000, 1),
        "voices": [{"user": v.speaker.username, "answer": v.answer} for v in clip.voices.select_related("speaker")],
    }


def error_json(error: RoomError) -> JsonResponse:
    return JsonResponse({"error": {"code": error.code, "message": error.message}}, status=error.http_status)


@login_required
@require_POST
def clip_replay(request, recording_id):
    """The replay page's clip form: start and end as times in the replay (m:ss or seconds)."""
    try:
        start = timeline.parse_time(request.POST.get("start", ""))
        end = timeline.parse_time(request.POST.get("end", ""))
    except ValueError:
        error = InvalidRequest("Give the start and end as times in the replay, like 1:05 or 65.", code="bad_range")
        return made(request, error=error)
    title = request.POST.get("title", "").strip() or snippet(recording_id, start, end)
    try:
        clip = services.do_clip_replay(request.user, recording_id, start, end, title, request.POST.get("caption", ""))
    except RoomError as error:
        return made(request, error=error)
    return made(request, clip=clip)


def snippet(recording_id, start_ms: int, end_ms: int) -> str:
    """The transcript's words in the range, as a default title ("" without a transcript)."""
    recording = Recording.objects.filter(pk=recording_id, published_at__isnull=False).select_related("current").first()
    if recording is None:
        return ""
    words = " ".join(
        c["text"] for c in replay_cues(recording.current) if c["end"] * 1000 > start_ms and c["start"] * 1000 < end_ms
    )
    return words if len(words) <= 120 else words[:119].rsplit(" ", 1)[0] + "…"


@login_required
@require_POST
def clip_live(request, space_id):
    """The room's clip button: the last seconds of the live space."""
    try:
        clip = services.do_clip_live(
            request.user, space_id, request.POST.get("title", ""), request.POST.get("caption", "")
        )
    except RoomError as error:
        return made(request, error=error)
    return made(request, clip=clip)


def made(request, *, clip: Clip | None = None, error: RoomError | None = None):
    if error is not None:
        if wants_json(request):
            return error_json(error)
        return render(request, "error.html", {"error": error}, status=error.http_status)
    assert clip is not None
    if wants_json(request):
        return JsonResponse({"clip": clip_data(request, clip)}, status=201)
    messages.success(request, "Clip made. Everyone heard in it is asked before it is shared.")
    return redirect("clip", clip.pk)


def clip_context(request, clip: Clip) -> dict:
    user = request.user
    cues = rendering.clip_cues(clip)
    voices = list(clip.voices.select_related("speaker"))
    return {
        "clip": clip,
        "space": clip.space,
        "voices": voices,
        "heard": [v.speaker for v in voices if v.speaker_id in clip.heard],
        "cues": cues,
        "is_creator": user.is_authenticated and user.pk == clip.creator_id,
        "is_host": user.is_authenticated and user.pk == clip.space.host_id,
        "is_staff": services.is_staff(user),
        "share_url": request.build_absolute_uri(clip.get_absolute_url()),
        "audio_url": request.build_absolute_uri(audio_url(clip, "mp3")) if clip.mp3 else "",
        "audiogram": audiogram_data(clip),
        "embed_url": request.build_absolute_uri(f"/clips/{clip.pk}/embed/"),
        "replay_url": f"{clip.recording.get_absolute_url()}#t={clip.replay_ms // 1000}"
        if clip.recording_id and clip.replay_ms is not None and clip.recording.is_published
        else "",
    }


# A clip's files by extension: the field that names the current one.
FILE_FIELDS = {"m4a": "m4a", "mp3": "mp3", "mp4": "audiogram"}


def audio_url(clip: Clip, fmt: str) -> str:
    name = getattr(clip, FILE_FIELDS[fmt])
    token = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"/clips/{clip.pk}/{token}.{fmt}"


@ensure_csrf_cookie
@room_errors
def clip_page(request, clip_id):
    clip = services.access_clip(request.user, clip_id)
    return render(request, "clips/clip.html", clip_context(request, clip))


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@room_errors
def clip_embed(request, clip_id):
    clip = services.access_clip(request.user, clip_id)
    if clip.state != Clip.State.PUBLISHED:
        raise Http404("Not shared.")
    return render(request, "clips/embed.html", clip_context(request, clip))


@require_safe
@room_errors
def clip_audio(request, clip_id, token, fmt):
    """A clip's files under their render's own name: an older mix's URL is gone with it."""
    clip = services.access_clip(request.user, clip_id)
    name = getattr(clip, FILE_FIELDS[fmt])
    if clip.state != Clip.State.PUBLISHED or not name or audio_url(clip, fmt) != request.path:
        raise Http404("No such file.")
    return files.serve(request, name, public=True)


def audiogram_data(clip: Clip) -> dict:
    ready = clip.audiogram_state == Clip.Audiogram.READY
    return {
        "state": clip.audiogram_state or "none",
        "progress": round(clip.audiogram_progress, 3),
        "url": audio_url(clip, "mp4") if ready and clip.audiogram else None,
    }


@require_POST
@room_errors
def clip_audiogram(request, clip_id):
    """The "Make a video (MP4)" button: queue the audiogram of a shared clip (once per version)."""
    try:
        clip = services.do_request_audiogram(request.user, clip_id)
    except RoomError as error:
        if wants_json(request):
            return error_json(error)
        raise
    if wants_json(request):
        ready = clip.audiogram_state == Clip.Audiogram.READY
        return JsonResponse({"audiogram": audiogram_data(clip)}, status=200 if ready else 202)
    messages.success(request, "The video is being made: it can be downloaded here in a moment.")
    return redirect("clip", clip.pk)


@require_safe
def clip_audiogram_status(request, clip_id):
    """What the page polls while the video is made: its state and progress (0..1)."""
    try:
        clip = services.access_clip(request.user, clip_id)
    except RoomError as error:
        return error_json(error)
    if clip.state != Clip.State.PUBLISHED:
        return error_json(NotFound("No such clip."))
    response = JsonResponse({"audiogram": audiogram_data(clip)})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@room_errors
def clip_played(request, clip_id):
    clip = services.access_clip(request.user, clip_id)
    played = request.session.get(PLAYED_SESSION_KEY, [])
    if clip.pk not in played and clip.state == Clip.State.PUBLISHED:
        services.do_count_play(clip)
        request.session[PLAYED_SESSION_KEY] = (played + [clip.pk])[-200:]
    return HttpResponse(status=204)


@require_safe
def oembed(request):
    """oEmbed (https://oembed.com) for share pages: a rich type with the embeddable player."""
    url = request.GET.get("url", "")
    fmt = request.GET.get("format") or "json"
    if fmt == "xml":  # the spec's answer to a format a provider does not offer
        return HttpResponse("Only the json format is offered.", status=501, content_type="text/plain")
    if fmt != "json":
        return JsonResponse({"error": "Unknown format: use json."}, status=400)
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        match = None
    if match is None or match.url_name != "clip":
        return JsonResponse({"error": "Not a clip's address."}, status=404)
    try:
        clip = services.access_clip(request.user, match.kwargs["clip_id"])
    except RoomError:
        return JsonResponse({"error": "No such clip."}, status=404)
    if clip.state != Clip.State.PUBLISHED:
        return JsonResponse({"error": "No such clip."}, status=404)
    embed = request.build_absolute_uri(f"/clips/{clip.pk}/embed/")
    return JsonResponse(
        {
            "version": "1.0",
            "type": "rich",
            "title": clip.title,
            "author_name": clip.creator.username,
            "provider_name": "Roundtable",
            "width": 480,
            "height": 160,
            "html": f'<iframe src="{embed}" width="480" height="160" frameborder="0" title="{clip.title}"></iframe>',
        }
    )


def clip_action(service, done: str, then_clip: bool = True, fields=()):
    @login_required
    @require_POST
    @room_errors
    def view(request, clip_id):
        clip = service(request.user, clip_id, *(request.POST.get(f, "") for f in fields))
        messages.success(request, done)
        if then_clip and services.can_see(request.user, clip):
            return redirect("clip", clip.pk)
        return redirect("space", clip.space_id)

    return view


clip_share_without = clip_action(services.do_share_without_declined, "Shared without the voices that said no.")
clip_drop = clip_action(services.do_drop, "The clip was dropped.")
clip_delete = clip_action(services.do_delete, "The clip was deleted.")
clip_take_down = clip_action(services.do_take_down, "The clip was taken down.", fields=("reason",))


@login_required
def clip_requests(request):
    """The speaker's inbox of clips of their voice: open requests first, then the answered."""
    voices = (
        Voice.objects.filter(speaker=request.user)
        .exclude(clip__state__in=Clip.GONE)
        .select_related("clip", "clip__space", "clip__creator")
        .order_by("-asked_at")
    )
    open_ = [v for v in voices if v.answer == Voice.Answer.PENDING]
    answered = [v for v in voices if v.answer != Voice.Answer.PENDING]
    return render(request, "clips/requests.html", {"open": open_, "answered": answered})


@login_required
@require_POST
def clip_request_answer(request, voice_id):
    try:
        voice = services.do_answer(request.user, voice_id, request.POST.get("answer", ""))
    except RoomError as error:
        if wants_json(request):
            return error_json(error)
        return render(request, "error.html", {"error": error}, status=error.http_status)
    if wants_json(request):
        return JsonResponse({"request": {"id": voice.pk, "answer": voice.answer}})
    messages.success(request, "Thanks: your voice is in." if voice.is_in else "Your voice stays out of it.")
    return redirect("clip_requests")


@login_required
@require_safe
@room_errors
def clip_request_preview(request, voice_id):
    """The speaker's own voice in the range, with the voices already cleared."""
    voice = services.access_voice(request.user, voice_id)
    if voice.clip.is_gone:
        raise Http404("This clip is no longer there.")
    response = HttpResponse(rendering.preview_mp3(voice), content_type="audio/mpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
@room_errors
def clip_preference(request):
    pref = services.do_set_preference(request.user, request.POST.get("choice", ""))
    messages.success(request, f"Saved: {ConsentPreference.Choice(pref.choice).label.lower()}.")
    return redirect("profile", request.user.username)


@login_required
@require_POST
@room_errors
def space_clips_allowed(request, space_id):
    space = services.do_set_clips_allowed(request.user, space_id, request.POST.get("allowed") == "1")
    if wants_json(request):
        return JsonResponse({"allowed": space.allow_clips})
    messages.success(request, "Clips are allowed." if space.allow_clips else "Clips are off.")
    return redirect("space", space.pk)
