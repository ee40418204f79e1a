import gc
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Build the Django app first: it sets up the app registry that the imports below need.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from rooms.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Fanning an event out to thousands of sockets makes many short-lived objects; with the
# default thresholds, full collections over a heap of thousands of connections stalled the
# loop (37 % of server time at 10,000 listeners, tests/bench/room_fanout.py). Freeze what
# start-up made and collect the young generation less often. ROUNDTABLE_GC_TUNING=0 turns it off
# (read and checked in config/settings.py, like every variable).
if settings.ROUNDTABLE_GC_TUNING:
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
