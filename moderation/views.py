"""The report form: GET shows it for one target, POST files the report (docs/moderation.md).
Each view calls one service; a RoomError is a 4xx page, or a JSON error for a client that
asks for JSON, and changes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from moderation.models import Report
from moderation.reports import Target, access_target, as_id_or_none, do_report
from recordings import timeline
from rooms.errors import RoomError

# Problems with what was typed into the form: shown on the form, not as an error page.
FORM_ERRORS = {"bad_category", "text_too_long"}


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def error_json(error: RoomError) -> JsonResponse:
    return JsonResponse({"error": {"code": error.code, "message": error.message}}, status=error.http_status)


def report_data(report: Report) -> dict:
    return {
        "id": report.pk,
        "kind": report.kind,
        "category": report.category,
        "status": report.status,
        "space_id": report.space_id,
        "reported_user_id": report.reported_user_id,
        "recording_id": report.recording_id,
        "clip_id": report.clip_id,
        "moment_ms": report.moment_ms,
        "during_space": report.during_space,
        "times": report.times,
        "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
    }


def safe_next(request, fallback: str) -> str:
    """Back where the report was made from: only a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if allowed and target.startswith("/") else fallback


def form_context(request, source, target: Target, *, error: RoomError | None = None) -> dict:
    at = source.get("at", "")
    position = as_id_or_none(at)
    return {
        "target": target,
        # A live space or speaker: the moment is taken when the report is sent.
        "live": target.space is not None and target.space.is_live and source.get("kind") in ("space", "speaker"),
        "kind": source.get("kind", ""),
        "target_id": source.get("id", ""),
        "space_id": source.get("space", ""),
        "at": at,
        "at_label": timeline.fmt(position, tenths=False) if position is not None else "",
        "categories": Report.Category.choices,
        "category": source.get("category", ""),
        "text": source.get("text", ""),
        "next": safe_next(request, target.url),
        "text_limit": Report._meta.get_field("text").max_length,
        "error": error,
    }


def refused(request, error: RoomError):
    if wants_json(request):
        return error_json(error)
    return render(request, "error.html", {"error": error}, status=error.http_status)


@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    source = request.POST if request.method == "POST" else request.GET
    kind, target_id, space_id, at = (source.get(name) for name in ("kind", "id", "space", "at"))
    try:
        target = access_target(request.user, kind, target_id, at, space_id)
    except RoomError as error:
        return refused(request, error)
    if request.method == "GET":
        return render(request, "moderation/report.html", form_context(request, source, target))
    try:
        filed = do_report(
            request.user, kind, target_id, source.get("category"), source.get("text", ""), at, space_id=space_id
        )
    except RoomError as error:
        if wants_json(request) or error.code not in FORM_ERRORS:
            return refused(request, error)
        context = form_context(request, source, target, error=error)
        return render(request, "moderation/report.html", context, status=error.http_status)
    if wants_json(request):
        return JsonResponse({"report": report_data(filed)}, status=201 if filed.times == 1 else 200)
    messages.success(request, f"Thanks: we got your report about {target.label}. A moderator will look at it.")
    return redirect(safe_next(request, target.url))
