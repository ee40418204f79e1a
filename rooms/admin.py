"""Staff screens for spaces. State changes only through the services the site uses, so the
admin gets the same checks, live events and engine commands: the state fields are read-only
and every action calls a service as the staff user."""

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext

from rooms.errors import RoomError
from rooms.models import Follow, Notification, Participant, Reminder, Space, Topic
from rooms.services.spaces import do_end_space
from rooms.services.stage import do_remove


class ServiceActionsMixin:
    """Admin actions that run a service once per selected row, as the staff user."""

    def run_service(self, request, queryset, service, done: str) -> None:
        """`service(user, obj)` for each row: each refusal is reported with the service's
        own message (nothing changed for that row), then how many it did."""
        count = 0
        for obj in queryset:
            try:
                service(request.user, obj)
            except RoomError as error:
                self.message_user(request, f"{obj}: {error.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done} {count} {model_ngettext(self.opts, count)}.", messages.SUCCESS)


class ReadOnlyInline(admin.TabularInline):
    """Rows the services make and change (people, renders, answers): shown, never edited.
    Subclasses set `model` and `fields`."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ParticipantInline(ReadOnlyInline):
    # View only: people join through the room and leave it through the services.
    model = Participant
    fields = ("user", "role", "present", "muted", "muted_by_moderator", "removed")


@admin.register(Space)
class SpaceAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = ("title", "host", "state", "record", "scheduled_for", "started_at", "ended_at")
    list_filter = ("state", "record", "captions")
    list_select_related = ("host",)
    search_fields = ("title", "host__username")
    fields = (
        "title",
        "description",
        "topics",
        "host",
        "state",
        "record",
        "allow_clips",
        "captions",
        "recording",
        "scheduled_for",
        "started_at",
        "ended_at",
        "created_at",
        "guest_listeners",
        "media_node",
        "last_presence_at",
        "start_notified_at",
    )
    # Staff may correct what a space says about itself; everything else is its life (changed
    # by the services) or what the host chose and the participants were told (recording, clips).
    readonly_fields = fields[3:]
    inlines = [ParticipantInline]
    actions = ["end_spaces"]

    # A space is created by its host, with its host's place in it, and deleting one would take
    # its moderation copy along, past any hold: neither belongs in the admin.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="End the selected live spaces", permissions=["change"])
    def end_spaces(self, request, queryset):
        self.run_service(request, queryset, lambda user, space: do_end_space(user, space.pk), "Ended")


@admin.register(Participant)
class ParticipantAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = ("user", "space", "role", "present", "removed")
    list_filter = ("role", "present", "removed")
    list_select_related = ("user", "space")
    search_fields = ("user__username", "space__title")
    fields = (
        "space",
        "user",
        "role",
        "hand_raised_at",
        "invited_by",
        "muted",
        "muted_by_moderator",
        "removed",
        "recording_opt_out",
        "connections",
        "present",
        "disconnected_at",
        "joined_at",
    )
    readonly_fields = fields
    actions = ["remove_from_space"]

    # A row is someone's place in a space: made by joining; deleting it would let a removed
    # person back in.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Remove from the space", permissions=["change"])
    def remove_from_space(self, request, queryset):
        self.run_service(request, queryset, lambda user, p: do_remove(user, p.space_id, p.user_id), "Removed")


admin.site.register(Topic)
admin.site.register(Follow)
admin.site.register(Reminder)
admin.site.register(Notification)
