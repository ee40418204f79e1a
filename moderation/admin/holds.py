"""Holds: placed by a report or by a moderator by hand, released through the service. Both go
through moderation's services, so each is written to the audit log; a hold is never edited or
deleted here (release it instead)."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from moderation.admin.permissions import is_moderator
from moderation.models import Hold
from moderation.services import do_place_hold, do_release_hold
from rooms.admin import ServiceActionsMixin


class PlaceHoldForm(forms.ModelForm):
    class Meta:
        model = Hold
        fields = ("space", "reason", "until")

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError("A hold ends in the future (or leave it empty: until released).")
        return until


@admin.register(Hold)
class HoldAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = ("space", "reason", "report", "until", "created_by", "created_at", "released_at")
    list_filter = ("released_at",)
    list_select_related = ("space", "report", "created_by")
    search_fields = ("space__title", "reason")
    raw_id_fields = ("space", "report")
    actions = ["release"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PlaceHoldForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("space", "reason", "until")
        return ("space", "reason", "report", "until", "created_by", "created_at", "released_at")

    def get_readonly_fields(self, request, obj=None):
        # A placed hold is read only: a change would escape the audit log; release it instead.
        return self.get_fields(request, obj) if obj else ()

    def has_add_permission(self, request):
        return is_moderator(request.user)

    # Deleting a hold would end it without a trace: release it instead.
    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        hold = do_place_hold(request.user, obj.space_id, obj.reason, obj.until)
        # The admin's messages and redirect name the row the service made.
        obj.pk, obj.created_by, obj.created_at = hold.pk, hold.created_by, hold.created_at

    @admin.action(description="Release the selected holds", permissions=["change"])
    def release(self, request, queryset):
        self.run_service(request, queryset, lambda user, hold: do_release_hold(user, hold.pk), "Released")
