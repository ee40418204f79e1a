"""Who sees what in the moderation admin: every active staff member reads reports and the
audit log; only moderators (staff with moderation.moderate, i.e. the Moderators group) act
or hear a moderation copy."""

from moderation import services


def is_staff(user) -> bool:
    return user.is_active and user.is_staff


def is_moderator(user) -> bool:
    # The services' own rule (staff with moderation.moderate), for an active account.
    return is_staff(user) and services.is_moderator(user)


class StaffReadsMixin:
    """Any staff member may open the screen and read it; nobody adds, edits or deletes rows
    here (changes go through the services)."""

    def has_module_permission(self, request):
        return is_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
