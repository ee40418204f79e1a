"""Run a media engine process: `python manage.py media_engine` (needs the Redis channel layer)."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rooms.media.engine import MediaEngine


class Command(BaseCommand):
    help = "Run a media engine that mixes the live spaces assigned to it."

    def add_arguments(self, parser):
        parser.add_argument("--name", help="a unique name for this engine (default: host-pid)")

    def handle(self, *args, name=None, **options):
        if "InMemory" in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            raise CommandError("A separate engine needs a shared channel layer: set REDIS_URL.")
        asyncio.run(self._run(name))

    async def _run(self, name):
        engine = MediaEngine(name)
        await engine.start()
        self.stdout.write(f"media engine {engine.name} running")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await engine.stop()
