"""Pages of the rooms app. Each view parses input, calls one service and renders."""

import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, When
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from rooms.accounts import is_blocked
from rooms.consumers import REACTIONS
from rooms.errors import RoomError
from rooms.forms import SpaceForm
from rooms.models import Follow, Notification, Participant, Reminder, Space
from rooms.services import spaces as space_services

User = get_user_model()
Role = Participant.Role
# Search results: live first, then upcoming, then ended.
STATE_ORDER = Case(
    When(state=Space.State.LIVE, then=0),
    When(state=Space.State.SCHEDULED, then=1),
    default=2,
    output_field=IntegerField(),
)


def room_errors(view):
    """Render a RoomError as a page with its 4xx status; nothing was changed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except RoomError as error:
            return render(request, "error.html", {"error": error}, status=error.http_status)

    return wrapper


def with_counts(spaces):
    """Listener and speaker counts in one query, not one per space."""
    present = Q(participants__present=True)
    return (
        spaces.select_related("host")
        .prefetch_related("topics")
        .annotate(
            member_count=Count("participants", filter=present & Q(participants__role=Role.LISTENER)),
            speaker_count=Count("participants", filter=present & Q(participants__role__in=Participant.STAGE_ROLES)),
        )
    )


def followed_first(spaces, user):
    if not user.is_authenticated:
        return spaces
    followed = Exists(Follow.objects.filter(follower=user, host=OuterRef("host")))
    return spaces.annotate(followed=followed).order_by("-followed", *spaces.query.order_by)


def home(request):
    live = followed_first(with_counts(Space.objects.live()).order_by("-started_at"), request.user)
    upcoming = followed_first(Space.objects.upcoming().select_related("host").order_by("scheduled_for"), request.user)
    reminded = set()
    if request.user.is_authenticated:
        reminded = set(Reminder.objects.filter(user=request.user).values_list("space_id", flat=True))
    return render(
        request,
        "rooms/home.html",
        {"live": live[:30], "upcoming": upcoming[:12], "reminded": reminded},
    )


def live_now(request):
    """The Live now section alone: the home page refreshes it without a reload."""
    live = followed_first(with_counts(Space.objects.live()).order_by("-started_at"), request.user)
    return render(request, "rooms/_live_list.html", {"live": live[:30]})


def search(request):
    # A NUL byte matches no title, and PostgreSQL refuses to compare one at all.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    results = Space.objects.none()
    if query:
        words = query.lstrip("#")
        results = (
            with_counts(Space.objects.exclude(state=Space.State.CANCELLED))
            .filter(Q(title__icontains=words) | Q(topics__name__iexact=words.lower()) | Q(description__icontains=words))
            .distinct()
            .order_by(STATE_ORDER, "-created_at")
        )
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    return render(request, "rooms/search.html", {"query": query, "page": page})


@login_required
@room_errors
def space_new(request):
    form = SpaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            space = space_services.do_create_space(
                request.user,
                title=data["title"],
                description=data["description"],
                topics=data["topics"],
                record=data["record"],
                allow_clips=data["allow_clips"],
                captions=data["captions"],
                scheduled_for=data["scheduled_for"],
            )
        except RoomError as error:
            form.add_error(None, error.message)
        else:
            return redirect(space)
    status = 400 if form.is_bound else 200
    return render(request, "rooms/space_new.html", {"form": form}, status=status)


@room_errors
def space_detail(request, space_id):
    space = space_services.access_space(space_id)
    me = None
    if request.user.is_authenticated:
        me = Participant.objects.filter(space=space, user=request.user).first()
    context = {
        "space": space,
        "me": me,
        "removed": bool(me and me.removed),
        # The room is closed to someone its host blocked: the page says so instead of opening it.
        "blocked": request.user.is_authenticated and is_blocked(space.host_id, request.user.pk),
        "is_host": request.user.is_authenticated and space.host_id == request.user.pk,
        "reminded": request.user.is_authenticated and Reminder.objects.filter(user=request.user, space=space).exists(),
        "reactions": REACTIONS,
        "ice_servers_json": json.dumps(settings.MEDIA_ENGINE["ICE_SERVERS"]),
    }
    return render(request, "rooms/space.html", context)


def post_action(service, done_message, then: str, *, fields=()):
    """A button's view: POST only, logged in, one service called with the id from the URL
    (and the named POST fields), then back to the page `then` names with a message.
    A RoomError renders as a 4xx page and changes nothing."""

    @login_required
    @require_POST
    @room_errors
    def view(request, **kwargs):
        (object_id,) = kwargs.values()
        service(request.user, object_id, *(request.POST.get(name, "") for name in fields))
        messages.success(request, done_message)
        return redirect(then, object_id)

    return view


space_start = post_action(space_services.do_start_space, "You are live.", "space")
space_end = post_action(space_services.do_end_space, "The space has ended.", "space")
space_cancel = post_action(space_services.do_cancel_space, "The space was cancelled.", "space")


@login_required
@require_POST
@room_errors
def space_remind(request, space_id):
    on = request.POST.get("on") != "0"
    space_services.do_set_reminder(request.user, space_id, on)
    messages.success(request, "We will remind you when it starts." if on else "Reminder removed.")
    return redirect(_safe_next(request) or reverse("space", args=[space_id]))


def _safe_next(request) -> str:
    """Only same-site paths: never redirect to another host."""
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else ""


def profile(request, username):
    person = get_object_or_404(User, username=username)
    hosted = with_counts(Space.objects.filter(host=person).exclude(state=Space.State.CANCELLED)).order_by("-created_at")
    following = request.user.is_authenticated and Follow.objects.filter(follower=request.user, host=person).exists()
    blocking = request.user.is_authenticated and is_blocked(request.user.pk, person.pk)
    return render(
        request,
        "rooms/profile.html",
        {
            "person": person,
            "live": [s for s in hosted if s.state == Space.State.LIVE],
            "upcoming": [s for s in hosted if s.state == Space.State.SCHEDULED],
            "past": [s for s in hosted if s.state == Space.State.ENDED][:20],
            "following": following,
            "blocking": blocking,
            "follower_count": Follow.objects.filter(host=person).count(),
        },
    )


@login_required
@require_POST
@room_errors
def follow(request, username):
    person = get_object_or_404(User, username=username)
    on = request.POST.get("on") != "0"
    space_services.do_follow(request.user, person, on)
    return redirect("profile", username=person.username)


@login_required
def notifications(request):
    if request.method == "POST":
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        return redirect("notifications")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    items = Notification.objects.filter(user=request.user)[:50]
    return render(request, "rooms/notifications.html", {"items": items})
