"""ASGI entry point: HTTP through Django, websockets through Channels (live consoles)."""

import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigcx.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from gigcx.realtime import websocket_urlpatterns  # noqa: E402


def text_models_load_in_background() -> threading.Thread | None:
    """Start loading the text model beside the web server (GIGCX_WARM_UP_WEB), so the first
    request that needs it does not wait; requests before it is ready load it as before."""
    from django.conf import settings

    if not settings.GIGCX_WARM_UP_WEB:
        return None
    from routing.tasks import text_models_load

    thread = threading.Thread(target=text_models_load, name="text-models-load", daemon=True)
    thread.start()
    return thread


text_models_load_in_background()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
