"""The report queue and each report's page. Every staff member reads them; moderators act, in
bulk from the queue (resolve, dismiss) or from the page (report_page.py), always through
moderation's services. Nothing here is edited in a form, added or deleted."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import path
from django.utils import timezone
from django.utils.timesince import timesince

from moderation import services
from moderation.admin import report_page
from moderation.admin.permissions import StaffReadsMixin, is_moderator
from moderation.models import Report
from rooms.errors import RoomError

TARGET_KEYS = ("space_id", "reported_user_id", "recording_id", "clip_id")
BULK_RESOLVED = "We looked into your report and took action."
BULK_DISMISSED = "We looked into your report and found nothing against the rules."


def open_on_same_target():
    """How many open reports name the same kind and target as the outer row (its own included
    while open). NULL foreign keys compare as 0 so a bare user report matches its kind."""
    same = Report.objects.filter(status=Report.Status.OPEN, kind=OuterRef("kind"))
    for key in TARGET_KEYS:
        same = same.annotate(**{f"key_{key}": Coalesce(key, Value(0))}).filter(
            **{f"key_{key}": Coalesce(OuterRef(key), Value(0))}
        )
    counted = same.order_by().values("kind").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("day", "Last 24 hours"), ("week", "Last 7 days"), ("older", "Older than 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "day":
            return queryset.filter(created_at__gte=now - timedelta(days=1))
        if self.value() == "week":
            return queryset.filter(created_at__gte=now - timedelta(days=7))
        if self.value() == "older":
            return queryset.filter(created_at__lt=now - timedelta(days=7))
        return queryset


def target_label(report: Report) -> str:
    """What was reported, in words: the space, the speaker in it, the recording, the clip, the user."""
    space = report.space.title if report.space_id else "a deleted space"
    user = report.reported_user.username if report.reported_user_id else "a deleted user"
    if report.kind == Report.Kind.SPACE:
        return space
    if report.kind == Report.Kind.SPEAKER:
        return f"{user} in {space}"
    if report.kind == Report.Kind.RECORDING:
        return f"Recording of {space}" if report.recording_id else "a deleted recording"
    if report.kind == Report.Kind.CLIP:
        return f"Clip #{report.clip_id} of {space}" if report.clip_id else "a deleted clip"
    return user


@admin.register(Report)
class ReportAdmin(StaffReadsMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "category",
        "target",
        "reporter",
        "times",
        "on_target",
        "status",
        "age",
    )
    list_display_links = ("id", "target")
    list_filter = ("status", "category", "kind", AgeFilter)
    list_select_related = ("reporter", "reported_user", "space")
    search_fields = ("text", "reporter__username", "reported_user__username", "space__title")
    search_help_text = "Searches the report's text, the reporter, the reported user and the space's title."
    fields = (
        "kind",
        "category",
        "text",
        "reporter",
        "reported_user",
        "space",
        "recording",
        "clip",
        "moment_ms",
        "during_space",
        "times",
        "status",
        "outcome",
        "decided_by",
        "decided_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ["resolve", "dismiss"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(on_target=open_on_same_target())

    @admin.display(description="Reported")
    def target(self, report):
        return target_label(report)

    @admin.display(description="Open reports on it", ordering="on_target")
    def on_target(self, report):
        return report.on_target

    @admin.display(description="Age", ordering="created_at")
    def age(self, report):
        return timesince(report.created_at)

    def has_moderate_permission(self, request):
        return is_moderator(request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<path:object_id>/copy-audio/", view(self.copy_audio), name="moderation_report_copy_audio"),
            path("<path:object_id>/act/<slug:action>/", view(self.act), name="moderation_report_act"),
            path(
                "<path:object_id>/transcribe-window/",
                view(self.transcribe_window),
                name="moderation_report_transcribe_window",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra = report_page.page_context(request, report) if report is not None else {}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    copy_audio = report_page.copy_audio
    act = report_page.act
    transcribe_window = report_page.transcribe_window

    def _decide_each(self, request, queryset, service, outcome: str, done: str) -> None:
        count = 0
        for report in queryset:
            try:
                service(request.user, report.pk, outcome)
            except RoomError as error:
                self.message_user(request, f"{report}: {error.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done} {count} report{'s' if count != 1 else ''}.", messages.SUCCESS)

    @admin.action(description="Resolve the selected reports (action taken)", permissions=["moderate"])
    def resolve(self, request, queryset):
        self._decide_each(request, queryset, services.do_resolve, BULK_RESOLVED, "Resolved")

    @admin.action(description="Dismiss the selected reports (no action)", permissions=["moderate"])
    def dismiss(self, request, queryset):
        self._decide_each(request, queryset, services.do_dismiss, BULK_DISMISSED, "Dismissed")
