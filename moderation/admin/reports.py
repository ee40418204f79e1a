"""The report queue and each report's page. Every staff member reads them; moderators act, in
bulk from the queue (resolve, dismiss) or from the page (report_page.py), always through
moderation's services. Nothing here is edited in a form, added or deleted."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import path
from django.utils import timezone
from django.utils.timesince import timesince

from moderation import services
from moderation.admin import report_page
from moderation.admin.permissions import StaffReadsMixin, is_moderator
from moderation.decisions import target_label
from moderation.models import Report
from rooms.errors import RoomError

# What a report is about, by kind: the same target as the services' (reports on it are
# decided together).
TARGET_FIELDS = {
    Report.Kind.SPACE: ("space_id",),
    Report.Kind.SPEAKER: ("space_id", "reported_user_id"),
    Report.Kind.RECORDING: ("recording_id",),
    Report.Kind.CLIP: ("clip_id",),
    Report.Kind.USER: ("reported_user_id",),
}
KEYS = ("space_id", "reported_user_id", "recording_id", "clip_id")
BULK_RESOLVED = "We looked into your report and took action."
BULK_DISMISSED = "We looked into your report and found nothing against the rules."


def open_on_same_target():
    """How many open reports are about what the outer row is about (its own included while
    open). A foreign key set to NULL (its row deleted) compares as 0, so equal to another NULL."""
    same = Report.objects.filter(status=Report.Status.OPEN, kind=OuterRef("kind")).annotate(
        **{f"key_{key}": Coalesce(key, Value(0)) for key in KEYS}
    )
    match = Q()
    for kind, fields in TARGET_FIELDS.items():
        match |= Q(kind=kind, **{f"key_{field}": Coalesce(OuterRef(field), Value(0)) for field in fields})
    counted = same.filter(match).order_by().values("kind").annotate(n=Count("pk")).values("n")
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
    list_select_related = ("reporter", "reported_user", "space", "recording", "clip")
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
        """`service` once per selected report still open: deciding one decides every open
        report on the same target, so a selected report decided that way in this batch
        counts as done, not as an error."""
        count = 0
        began = timezone.now()
        for report in queryset:
            report.refresh_from_db(fields=["status", "decided_by", "decided_at"])
            if not report.is_open and report.decided_by_id == request.user.pk and report.decided_at >= began:
                count += 1
                continue
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
