"""Create the first staff account on a new install and say how to log in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an 'admin' superuser if there is none, with a password kept in var/admin-password."

    def handle(self, *args, **options):
        User = get_user_model()
        password_file = settings.VAR_DIR / "admin-password"
        if User.objects.filter(is_superuser=True).exists():
            if password_file.exists():
                self.stdout.write(f"Log in as admin / {password_file.read_text().strip()}")
            else:
                self.stdout.write("Log in with your existing staff account.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@localhost", password)
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(f"Created the staff account. Log in as admin / {password}")
