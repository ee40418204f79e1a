"""Holds: placed by staff by hand or by a report, released through the service."""

from django.contrib import admin

from moderation.models import Hold
from moderation.services import do_release_hold
from rooms.admin import ServiceActionsMixin


@admin.register(Hold)
class HoldAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = ("space", "reason", "report", "until", "created_by", "created_at", "released_at")
    list_filter = ("released_at",)
    list_select_related = ("space", "report", "created_by")
    search_fields = ("space__title", "reason")
    raw_id_fields = ("space", "report")
    readonly_fields = ("created_by", "created_at", "released_at")
    actions = ["release"]

    def get_readonly_fields(self, request, obj=None):
        # A hold stays on the space it was placed on: another space needs its own hold.
        return self.readonly_fields + (("space",) if obj else ())

    # Deleting a hold would end it without a trace: release it instead.
    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Release the selected holds", permissions=["change"])
    def release(self, request, queryset):
        self.run_service(request, queryset, lambda user, hold: do_release_hold(user, hold.pk), "Released")
