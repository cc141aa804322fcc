"""Live updates over websockets (Channels).

Every signed-in user has a personal group ``user-<id>``; services push small JSON events
(ids and status, never customer text the receiver may not see) with :func:`push_to_user`
after commit. Consoles subscribe at ``/ws/live/``. On the embedded default the channel layer
is in-memory (one process), so pages also poll; with REDIS_URL it spans every process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.urls import path


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


# What a client may send besides "ping", by message type. Apps above gigcx register their
# handlers from AppConfig.ready (voice relays call signalling), so gigcx imports none of them.
# A handler gets the consumer's user and the message; what it returns is sent back.
MessageHandler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any] | None]]
_handlers: dict[str, MessageHandler] = {}


def message_handler_register(message_type: str, handler: MessageHandler) -> None:
    _handlers[message_type] = handler


def push_to_user(user_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(user_group(user_id), {"type": "live.event", "event": event})


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        handler = _handlers.get(str(content.get("type")))
        if handler is not None:
            reply = await handler(self.scope["user"], content)
            if reply is not None:
                await self.send_json(reply)

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])


websocket_urlpatterns = [path("ws/live/", LiveConsumer.as_asgi())]
