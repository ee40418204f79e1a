"""The audit log: read by any staff member, changed by nobody (the database refuses it too)."""

from django.contrib import admin

from moderation.admin.permissions import StaffReadsMixin
from moderation.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(StaffReadsMixin, admin.ModelAdmin):
    list_display = (
        "at",
        "actor_name",
        "action",
        "target_kind",
        "target_label",
        "subject_user_id",
        "report_id",
        "reason",
    )
    list_filter = ("action", "actor_name", "target_kind")
    date_hierarchy = "at"
    search_fields = ("actor_name", "target_label", "reason")
    fields = list_display[:3] + ("target_kind", "target_id", "target_label", "subject_user_id", "report_id", "reason")
    readonly_fields = fields
    actions = None
