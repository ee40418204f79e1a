from django.contrib import admin, messages

from rooms.errors import RoomError
from rooms.models import Follow, Notification, Participant, Reminder, Space, Topic
from rooms.services.spaces import do_end_space


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ("user", "role", "present", "muted", "muted_by_moderator", "removed")
    readonly_fields = fields
    can_delete = False


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ("title", "host", "state", "record", "scheduled_for", "started_at", "ended_at")
    list_filter = ("state", "record", "captions")
    search_fields = ("title", "host__username")
    inlines = [ParticipantInline]
    actions = ["end_spaces"]

    @admin.action(description="End the selected live spaces")
    def end_spaces(self, request, queryset):
        for space in queryset.filter(state=Space.State.LIVE):
            try:
                do_end_space(request.user, space.pk)
            except RoomError as error:
                self.message_user(request, f"{space}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"Ended {space}.")


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("user", "space", "role", "present", "removed")
    list_filter = ("role", "present", "removed")
    search_fields = ("user__username", "space__title")


admin.site.register(Topic)
admin.site.register(Follow)
admin.site.register(Reminder)
admin.site.register(Notification)
