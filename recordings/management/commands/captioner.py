"""Run the live captioner: `python manage.py captioner` (needs the Redis channel layer)."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recordings.captioner import Captioner


class Command(BaseCommand):
    help = "Recognise the utterances the media engines hand over and send live captions to the rooms."

    def handle(self, *args, **options):
        if "InMemory" in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            raise CommandError(
                "A separate captioner needs a shared channel layer: set REDIS_URL "
                "(with MEDIA_ENGINE_MODE=embedded the web process captions by itself)."
            )
        asyncio.run(self._run())

    async def _run(self):
        captioner = Captioner()
        try:
            await captioner.start(load_model=True)
        except Exception as error:
            raise CommandError(f"The captioner could not load the recognition model: {error}") from error
        self.stdout.write(f"captioner running (model {settings.TRANSCRIBE['MODEL_DIR']})")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await captioner.stop()
