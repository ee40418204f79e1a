"""A report's page in the admin: what it shows (page_context) and its own URLs, as ReportAdmin
methods: the moderation copy's audio around the moment, the actions, and the request to
transcribe the window. Every change goes through a moderation service as the staff member;
a refusal is shown with the service's own message."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from moderation import copy_audio as audio
from moderation import review, services
from moderation.admin.permissions import is_moderator
from moderation.models import AuditEntry, Report, WindowTranscript
from recordings.audio.mixdown import track_users
from recordings.models import Recording
from rooms.errors import RoomError
from rooms.media.files import serve
from rooms.models import Participant, Space, Suspension


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 2}), help_text="The person it is about is told this."
    )


class SuspendForm(ReasonForm):
    until = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="UTC. Leave empty to suspend for good.",
    )

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until is not None and until <= timezone.now():
            raise forms.ValidationError("Choose a time in the future, or leave it empty for good.")
        return until


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 2}), help_text="The reporter is told this."
    )


LISTEN_MINUTES = 10

# slug: (button, the service in moderation.services, its form). Each service takes
# (actor, report_id, <the form's fields in this order>).
ACTIONS = {
    "end-space": ("End the space", "do_end_space", ReasonForm),
    "remove-speaker": ("Remove from the space", "do_remove_speaker", ReasonForm),
    "mute-speaker": ("Mute the speaker", "do_mute_speaker", ReasonForm),
    "suspend-user": ("Suspend the user", "do_suspend_user", SuspendForm),
    "take-down-recording": ("Take down the recording", "do_take_down_recording", ReasonForm),
    "take-down-clip": ("Take down the clip", "do_take_down_clip", ReasonForm),
    "resolve": ("Resolve (action taken)", "do_resolve", OutcomeForm),
    "dismiss": ("Dismiss (no action)", "do_dismiss", OutcomeForm),
}


def suspended_for_good(user_id: int) -> bool:
    return Suspension.objects.in_force().filter(user_id=user_id, until__isnull=True).exists()


def applicable_actions(report: Report) -> list[str]:
    """The actions that make sense for this report now (the service still checks each)."""
    space: Space | None = report.space
    live = space is not None and space.state == Space.State.LIVE
    there = None
    if live and report.reported_user_id:
        there = Participant.objects.filter(space=space, user_id=report.reported_user_id, removed=False).first()
    # The reported recording, or the recording of the reported space (as the service takes it).
    recording = report.recording
    if recording is None and space is not None:
        recording = Recording.objects.filter(space=space).first()
    wanted = {
        "end-space": live,
        "remove-speaker": there is not None and there.present,
        "mute-speaker": there is not None and there.present and there.on_stage,
        # Suspended for good already: a second one would only have to be lifted too.
        "suspend-user": report.reported_user_id is not None and not suspended_for_good(report.reported_user_id),
        "take-down-recording": recording is not None and not recording.is_gone,
        "take-down-clip": report.clip_id is not None and not report.clip.is_gone,
        "resolve": report.is_open,
        "dismiss": report.is_open,
    }
    return [slug for slug, ok in wanted.items() if ok]


def page_context(request, report: Report) -> dict:
    moderator = is_moderator(request.user)
    space = report.space
    context = {
        "is_moderator": moderator,
        "report_target": _target_links(report),
        "other_reports": review.other_reports(report)[:50],
        "earlier_actions": review.actions_about(report)[:50],
        "moment": review.clock(review.moment_of(report)),
        "has_space": space is not None and space.started_at is not None,
    }
    if moderator:
        context["actions"] = [
            {"slug": slug, "label": ACTIONS[slug][0], "form": ACTIONS[slug][2](auto_id=f"id_{slug}_%s")}
            for slug in applicable_actions(report)
        ]
    if not context["has_space"]:
        return context
    start, end = review.player_window(report)
    t_start, t_end = review.transcript_window(report)
    kept = review.copy_kept(space)
    context.update(
        stage=review.stage_at_moment(report),
        copy_kept=kept,
        player_from=review.clock(start),
        player_to=review.clock(end),
        transcript_from=review.clock(t_start),
        transcript_to=review.clock(t_end),
    )
    if moderator:
        # The transcript holds every voice of the copy, opted out of the recording or not:
        # read, like the copy, by moderators only.
        lines = review.space_transcript_lines(report)
        window_transcript = WindowTranscript.objects.filter(report=report).first()
        ready = window_transcript is not None and window_transcript.state == WindowTranscript.State.READY
        if lines is None and ready:
            lines = review.window_lines(window_transcript)
        context.update(transcript_lines=lines, window_transcript=window_transcript)
    if moderator and kept:
        context["copy_audio_url"] = reverse("admin:moderation_report_copy_audio", args=[report.pk])
        context["copy_speakers"] = review.speakers_in_copy(space)
    return context


def _target_links(report: Report) -> list[tuple[str, str]]:
    """(label, site URL) of what the report is about, to open as users see it."""
    links = []
    if report.space_id:
        links.append((f"Space: {report.space.title}", report.space.get_absolute_url()))
    if report.reported_user_id:
        links.append(
            (f"User: {report.reported_user.username}", reverse("profile", args=[report.reported_user.username]))
        )
    if report.recording_id:
        links.append((f"Recording #{report.recording_id}", report.recording.get_absolute_url()))
    if report.clip_id:
        links.append((f"Clip #{report.clip_id}", report.clip.get_absolute_url()))
    return links


def _report_or_404(model_admin, request, object_id) -> Report:
    report = model_admin.get_object(request, object_id)
    if report is None:
        raise Http404("No such report.")
    return report


def _back(report: Report) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:moderation_report_change", args=[report.pk]))


def copy_audio(model_admin, request, object_id):
    """The moderation copy from 30 s before the moment to 90 s after it (clipped to the space's
    clock): every voice, or one with ?speaker=<user id>. Moderators only."""
    if not is_moderator(request.user):
        raise PermissionDenied
    report = _report_or_404(model_admin, request, object_id)
    space = report.space
    if not review.copy_kept(space):
        raise Http404("The moderation copy of this space was deleted.")
    voices = track_users(space.pk)
    speaker = request.GET.get("speaker", "")
    if speaker:
        if not (speaker.isascii() and speaker.isdigit()):
            return HttpResponseBadRequest("speaker must be a user id.")
        if int(speaker) not in voices:
            raise Http404("That person has no track in this space's copy.")
    speaker_id = int(speaker) if speaker else None
    start, end = review.player_window(report)
    if end <= start:
        raise Http404("The space's clock has nothing around this moment.")
    users = [speaker_id] if speaker_id is not None else voices
    # A player asks for the start once per listen, then for ranges as it plays and seeks.
    if request.headers.get("Range", "bytes=0-").strip() == "bytes=0-" and request.method == "GET":
        _audit_listen(request.user, report, speaker_id, start, end)
    name = audio.stored_window(space.pk, users, start, end, speaker_id)
    if name is not None:
        return serve(request, name, cache="private, no-store")
    response = HttpResponse(audio.encode_window(space.pk, users, start, end), content_type="audio/mpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _audit_listen(user, report: Report, speaker_id: int | None, start: int, end: int) -> None:
    """One row per listen: a player asks for the start again when it reloads or the page is
    opened twice, so the same staff member hearing the same voices of the same report within
    LISTEN_MINUTES is one listen."""
    voice = "every voice"
    if speaker_id is not None:
        speaker = get_user_model().objects.filter(pk=speaker_id).first()
        voice = f"only {speaker.username if speaker else 'a deleted user'} (user {speaker_id})"
    reason = f"{review.clock(start)} to {review.clock(end)} of the space's clock, {voice}."
    recent = AuditEntry.objects.filter(
        action=AuditEntry.Action.HEAR_COPY,
        actor_id=user.pk,
        report_id=report.pk,
        reason=reason,
        at__gte=timezone.now() - timedelta(minutes=LISTEN_MINUTES),
    )
    if recent.exists():
        return
    services.audit(
        user,
        AuditEntry.Action.HEAR_COPY,
        "space",
        report.space_id,
        report.space.title,
        subject_user_id=report.reported_user_id,
        report_id=report.pk,
        reason=reason,
    )


def act(model_admin, request, object_id, action):
    """One action on the report's page, through its moderation service."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not is_moderator(request.user):
        raise PermissionDenied
    report = _report_or_404(model_admin, request, object_id)
    if action not in ACTIONS:
        raise Http404("No such action.")
    label, name, form_class = ACTIONS[action]
    service = getattr(services, name)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                model_admin.message_user(request, f"{label}: {field}: {error}", messages.ERROR)
        return _back(report)
    try:
        service(request.user, report.pk, *form.cleaned_data.values())
    except RoomError as error:
        model_admin.message_user(request, f"{label}: {error.message}", messages.ERROR)
    else:
        model_admin.message_user(request, f"{label}: done.", messages.SUCCESS)
    return _back(report)


def transcribe_window(model_admin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not is_moderator(request.user):
        raise PermissionDenied
    report = _report_or_404(model_admin, request, object_id)
    try:
        review.do_request_window_transcript(request.user, report.pk)
    except RoomError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        model_admin.message_user(request, "Transcribing the window: this page shows the lines when ready.")
    return _back(report)
