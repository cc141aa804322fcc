"""Live updates over websockets (Channels).

Every signed-in user has a personal group ``user-<id>``; services push small JSON events
(ids and status, never customer text the receiver may not see) with :func:`push_to_user`
after commit. Consoles subscribe at ``/ws/live/``. On the embedded default the channel layer
is in-memory (one process), so pages also poll; with REDIS_URL it spans every process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.urls import path
from redis.exceptions import ConnectionError as RedisConnectionError


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


# What a client may send besides "ping", by message type. Apps above gigcx register their
# handlers from AppConfig.ready (voice relays call signalling), so gigcx imports none of them.
# A handler gets the consumer's user and the message; what it returns is sent back.
MessageHandler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any] | None]]
_handlers: dict[str, MessageHandler] = {}


def message_handler_register(message_type: str, handler: MessageHandler) -> None:
    _handlers[message_type] = handler


logger = logging.getLogger(__name__)

# How long a push may wait for Redis before the caller goes on without it (live updates are
# a convenience: pages also poll, so a lost push is late, never lost work).
PUSH_TIMEOUT_SECONDS = 5.0


class _PushLoop:
    """One event loop per process, on a daemon thread, for pushes from synchronous code.

    ``async_to_sync`` outside an event loop starts a new loop for every call, and
    channels_redis keeps its connections per loop: every push opened (and dropped) a Redis
    connection. Here the loop, and so the layer's connection pool, lives as long as the
    process. It is made lazily, and again in a forked child (a Celery prefork worker), since
    a thread does not survive ``fork``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="gigcx-live-push", daemon=True
                ).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def run(self, awaitable: Awaitable[Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(_await(awaitable), self.loop())
        try:
            return future.result(timeout=PUSH_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()  # nothing keeps waiting on a stalled Redis
            raise


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


_push_loop = _PushLoop()


def _in_event_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def push_to_user(user_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "live.event", "event": event}
    # The in-memory layer (embedded default) only reaches consumers on the server's own
    # loop, which async_to_sync finds from a request's thread; a Redis layer is reached from
    # any loop, so it gets the process's long-lived one.
    if type(layer).__module__.startswith("channels_redis") and not _in_event_loop_thread():
        try:
            _push_loop.run(layer.group_send(user_group(user_id), message))
        except TimeoutError:
            logger.warning("Live push to user %s timed out; pages poll and catch up.", user_id)
        except (RedisConnectionError, OSError):
            # A pooled connection Redis dropped (a restart) fails once: the pool replaces it.
            _push_loop.run(layer.group_send(user_group(user_id), message))
        return
    async_to_sync(layer.group_send)(user_group(user_id), message)


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
