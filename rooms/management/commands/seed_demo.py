"""Fill an empty install with a few people and spaces, so a new user sees a living site."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from rooms.models import Follow, Participant, Space, Topic

DEMO_PASSWORD = "roundtable-demo"
PEOPLE = ["maya", "theo", "ines", "kofi", "lena", "sam", "aiko", "raj", "nora", "omar"]
LIVE = [
    ("Shipping a Django app to 10k listeners", "maya", ["django", "python", "scaling"], True),
    ("Late-night jazz records we love", "theo", ["music", "jazz"], False),
]
UPCOMING = [
    ("Founders AMA: bootstrapping in 2027", "ines", ["startups"], 26),
    ("Weekly football roundup", "kofi", ["sports", "football"], 50),
    ("Open-source maintainers' coffee", "maya", ["opensource"], 120),
]


class Command(BaseCommand):
    help = f"Create demo people (password {DEMO_PASSWORD!r}) and spaces if the site has none."

    def handle(self, *args, **options):
        if Space.objects.exists():
            self.stdout.write("Spaces exist already; demo data not added.")
            return
        User = get_user_model()
        users = {}
        for name in PEOPLE:
            user, created = User.objects.get_or_create(username=name, defaults={"email": f"{name}@example.com"})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[name] = user
        now = timezone.now()
        for title, host, topics, record in LIVE:
            space = Space.objects.create(
                title=title,
                host=users[host],
                state=Space.State.LIVE,
                record=record,
                recording=record,
                started_at=now - timedelta(minutes=18),
                last_presence_at=now,
                description="Drop in, ask to speak, and bring your questions.",
            )
            space.topics.set([Topic.objects.get_or_create(name=t)[0] for t in topics])
            Participant.objects.create(space=space, user=users[host], role=Participant.Role.HOST, present=False)
        for title, host, topics, hours in UPCOMING:
            space = Space.objects.create(
                title=title,
                host=users[host],
                scheduled_for=now + timedelta(hours=hours),
                description="Set a reminder and we will tell you when it starts.",
            )
            space.topics.set([Topic.objects.get_or_create(name=t)[0] for t in topics])
            Participant.objects.create(space=space, user=users[host], role=Participant.Role.HOST, present=False)
        for name in PEOPLE[3:]:
            Follow.objects.get_or_create(follower=users[name], host=users["maya"])
        self.stdout.write(f"Demo data added: log in as any of {', '.join(PEOPLE)} with password {DEMO_PASSWORD!r}.")
