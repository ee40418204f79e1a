"""Blocking someone from their profile: POST /u/<username>/block/ and /unblock/.

A form button answers with a redirect to the profile and a message; a client that asks for
JSON (Accept: application/json) gets {"blocked": true|false} or {"error": {"code", "message"}}."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rooms.errors import RoomError
from rooms.services import accounts

User = get_user_model()


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _block_view(on: bool):
    @login_required
    @require_POST
    def view(request, username):
        person = get_object_or_404(User, username=username)
        try:
            if on:
                accounts.do_block(request.user, person.pk)
            else:
                accounts.do_unblock(request.user, person.pk)
        except RoomError as error:
            if wants_json(request):
                payload = {"error": {"code": error.code, "message": error.message}}
                return JsonResponse(payload, status=error.http_status)
            return render(request, "error.html", {"error": error}, status=error.http_status)
        if wants_json(request):
            return JsonResponse({"blocked": on})
        if on:
            messages.success(request, f"You blocked {person.username}: they cannot join your spaces or clip you.")
        else:
            messages.success(request, f"You unblocked {person.username}.")
        return redirect("profile", username=person.username)

    return view


block = _block_view(True)
unblock = _block_view(False)
