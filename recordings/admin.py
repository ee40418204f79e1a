"""Staff screens for recordings: read-only, changed by the same services the host's pages use."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from recordings.models import ModerationCopy, Recording, Render
from recordings.services import do_delete_recording, do_unpublish
from rooms.admin import ReadOnlyInline, ServiceActionsMixin


class RenderInline(ReadOnlyInline):
    # Renders are made and retried by the recording services.
    model = Render
    fields = (
        "kind",
        "state",
        "progress",
        "attempts",
        "heartbeat_at",
        "duration_ms",
        "error",
        "created_at",
        "finished_at",
    )
    show_change_link = False


@admin.register(Recording)
class RecordingAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = ("space", "host", "published_at", "deleted_at", "expired_at", "play_count", "page")
    list_filter = ("published_at", "deleted_at")
    list_select_related = ("space", "space__host")
    search_fields = ("space__title", "space__host__username")
    fields = (
        "space",
        "page",
        "spans",
        "edits",
        "edits_version",
        "original",
        "current",
        "published_at",
        "deleted_at",
        "expired_at",
        "play_count",
        "created_at",
    )
    # Publishing is the host's choice; staff unpublish or take down with the actions.
    readonly_fields = fields
    inlines = [RenderInline]
    actions = ["take_down", "unpublish"]

    # A recording is made when its space is recorded; deleting the row would leave its files
    # behind: taking it down deletes them.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Host")
    def host(self, recording):
        return recording.space.host

    @admin.display(description="Listen")
    def page(self, recording):
        return format_html('<a href="{}">Recording page</a>', reverse("recording", args=[recording.pk]))

    @admin.action(description="Unpublish the selected recordings", permissions=["change"])
    def unpublish(self, request, queryset):
        self.run_service(request, queryset, lambda user, r: do_unpublish(user, r.pk), "Unpublished")

    @admin.action(description="Take down (delete) the selected recordings", permissions=["change"])
    def take_down(self, request, queryset):
        self.run_service(request, queryset, lambda user, r: do_delete_recording(user, r.pk), "Took down")


@admin.register(ModerationCopy)
class ModerationCopyAdmin(admin.ModelAdmin):
    list_display = ("space", "created_at", "expires_at", "claimed_at", "held")
    list_select_related = ("space",)
    fields = ("space", "created_at", "expires_at", "claimed_at")
    # Retention runs from the end of the space; a hold, not an edited date, keeps a copy longer.
    readonly_fields = fields
    search_fields = ("space__title",)

    # Copies come and go with their space and its retention (the beat job deletes the files).
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="Held")
    def held(self, copy):
        return copy.space.holds.active().exists()
