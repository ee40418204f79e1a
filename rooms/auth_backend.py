"""Sign-in and sessions refuse a suspended account.

Django asks the backend's user_can_authenticate both when someone signs in and when a
session is read back (ModelBackend.get_user), Channels' AuthMiddleware included. So a
suspension takes effect on every session of the user at their next request or socket:
they are signed out everywhere at once, with no session table to scan."""

from django.contrib.auth.backends import ModelBackend

from rooms.accounts import is_suspended


class RoomsBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not is_suspended(user)
