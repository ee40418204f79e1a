"""Sign-in and sessions refuse a suspended account.

Django asks the backend's user_can_authenticate both when someone signs in and when a
session is read back (ModelBackend.get_user), Channels' AuthMiddleware included. So a
suspension takes effect on every session of the user at their next request or socket:
they are signed out everywhere at once, with no session table to scan.

SuspendedSessionMiddleware tells them why on the first page they open after that (the room
page they reload, say), rather than leaving them signed out without a word, and ends that
session for good."""

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from rooms.accounts import is_suspended, suspension_message, suspension_of


class RoomsBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not is_suspended(user)


class SuspendedSessionMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only a session that still names a user the backend refused costs a query.
        if SESSION_KEY in request.session and not request.user.is_authenticated:
            self.sign_out_if_suspended(request)
        return self.get_response(request)

    def sign_out_if_suspended(self, request) -> None:
        User = get_user_model()
        try:
            user_id = User._meta.pk.to_python(request.session[SESSION_KEY])
        except ValidationError:  # a session Django itself would not read: nothing to say
            return
        suspension = suspension_of(User.objects.filter(pk=user_id).first())
        if suspension is None:
            return
        request.session.flush()
        messages.error(request, f"{suspension_message(suspension)} You were signed out.")
