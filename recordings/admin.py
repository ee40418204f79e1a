from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from recordings.models import ModerationCopy, Recording, Render
from recordings.services import do_delete_recording, do_unpublish


class RenderInline(admin.TabularInline):
    model = Render
    extra = 0
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
    readonly_fields = fields
    can_delete = False
    show_change_link = False


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ("space", "host", "published_at", "deleted_at", "expired_at", "play_count", "page")
    list_filter = ("published_at", "deleted_at")
    search_fields = ("space__title", "space__host__username")
    readonly_fields = ("space", "spans", "edits", "edits_version", "original", "current", "play_count", "page")
    fields = readonly_fields + ("published_at", "transcript")
    inlines = [RenderInline]
    actions = ["take_down", "unpublish"]

    def has_add_permission(self, request):
        # A recording is made by its space's recorder: there is nothing to add by hand.
        return False

    @admin.display(description="Host")
    def host(self, recording):
        return recording.space.host

    @admin.display(description="Listen")
    def page(self, recording):
        return format_html('<a href="{}">Recording page</a>', reverse("recording", args=[recording.pk]))

    @admin.action(description="Unpublish the selected recordings")
    def unpublish(self, request, queryset):
        for recording in queryset:
            do_unpublish(request.user, recording.pk)
        self.message_user(request, "Unpublished.", messages.SUCCESS)

    @admin.action(description="Take down (delete) the selected recordings")
    def take_down(self, request, queryset):
        for recording in queryset:
            do_delete_recording(request.user, recording.pk)
        self.message_user(
            request, "Taken down: the files are deleted; moderation copies follow retention.", messages.SUCCESS
        )


@admin.register(ModerationCopy)
class ModerationCopyAdmin(admin.ModelAdmin):
    list_display = ("space", "created_at", "expires_at", "claimed_at", "held")
    readonly_fields = ("space", "created_at", "claimed_at")
    search_fields = ("space__title",)

    def has_add_permission(self, request):
        # A copy is made when its space ends, from the space's audio: there is nothing to add by hand.
        return False

    @admin.display(boolean=True, description="Held")
    def held(self, copy):
        return copy.space.holds.active().exists()
