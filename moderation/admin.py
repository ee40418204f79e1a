from django.contrib import admin
from django.utils import timezone

from moderation.models import Hold


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ("space", "reason", "created_by", "created_at", "released_at")
    list_filter = ("released_at",)
    search_fields = ("space__title", "reason")
    autocomplete_fields = ()
    raw_id_fields = ("space",)
    readonly_fields = ("created_by", "created_at", "released_at")
    actions = ["release"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Release the selected holds")
    def release(self, request, queryset):
        queryset.filter(released_at__isnull=True).update(released_at=timezone.now())
