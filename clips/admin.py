"""Staff screens for clips: read-only, taken down by the same service the clip page's button uses."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from clips.models import Clip, Voice
from clips.services import do_take_down
from rooms.admin import ReadOnlyInline, ServiceActionsMixin


class VoiceInline(ReadOnlyInline):
    # Answers are the speakers' own.
    model = Voice
    fields = ("speaker", "answer", "by_preference", "asked_at", "answered_at", "expires_at")


@admin.register(Clip)
class ClipAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = ("title", "space", "creator", "state", "created_at", "play_count", "page")
    list_filter = ("state", "source")
    list_select_related = ("space", "creator")
    search_fields = ("title", "space__title", "creator__username")
    fields = (
        "title",
        "page",
        "space",
        "recording",
        "creator",
        "source",
        "ranges",
        "replay_ms",
        "caption",
        "state",
        "heard",
        "version",
        "rendered_version",
        "duration_ms",
        "play_count",
        "takedown_reason",
        "created_at",
        "published_at",
    )
    readonly_fields = fields
    inlines = [VoiceInline]
    actions = ["take_down"]

    # Clips are made by listeners and gone through the services (files deleted with them).
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Listen")
    def page(self, clip):
        return format_html('<a href="{}">Clip page</a>', reverse("clip", args=[clip.pk]))

    @admin.action(description="Take down the selected clips", permissions=["change"])
    def take_down(self, request, queryset):
        self.run_service(request, queryset, lambda user, clip: do_take_down(user, clip.pk), "Took down")
