"""The live channel consoles listen on: signed-in users only, each hears only their own events."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from gigcx.asgi import application
from gigcx.realtime import user_group
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine_function: Any) -> Any:
    """Run an async scenario on a fresh event loop in its own thread (another test, such as
    the browser tests, may hold a running loop in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_function()).result(timeout=30)


def session_headers(user: Any) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        (b"origin", b"http://testserver"),
    ]


def test_a_signed_in_user_receives_events_pushed_to_them_and_no_one_elses() -> None:
    ada, grace = UserFactory(), UserFactory()
    ada_headers, grace_headers = session_headers(ada), session_headers(grace)

    async def scenario() -> tuple[Any, Any, bool]:
        ada_socket = WebsocketCommunicator(application, "/ws/live/", headers=ada_headers)
        grace_socket = WebsocketCommunicator(application, "/ws/live/", headers=grace_headers)
        connected, _ = await ada_socket.connect()
        await grace_socket.connect()
        hello = await ada_socket.receive_json_from()
        await grace_socket.receive_json_from()
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send(
            user_group(ada.pk),
            {"type": "live.event", "event": {"type": "offer.new", "offer_id": 9}},
        )
        event = await ada_socket.receive_json_from(timeout=2)
        grace_heard = not await grace_socket.receive_nothing(timeout=0.3)
        await ada_socket.send_json_to({"type": "ping"})
        assert await ada_socket.receive_json_from() == {"type": "pong"}
        await ada_socket.disconnect()
        await grace_socket.disconnect()
        return (connected, hello), event, grace_heard

    (connected, hello), event, grace_heard = run(scenario)
    assert connected
    assert hello == {"type": "hello"}
    assert event == {"type": "offer.new", "offer_id": 9}
    assert grace_heard is False


def test_anonymous_sockets_are_closed() -> None:
    async def scenario() -> Any:
        socket = WebsocketCommunicator(
            application, "/ws/live/", headers=[(b"origin", b"http://testserver")]
        )
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    connected, code = run(scenario)
    assert connected is False
    assert code == 4401


def test_foreign_origins_are_refused() -> None:
    user = UserFactory()
    headers = [h for h in session_headers(user) if h[0] != b"origin"]

    async def scenario() -> Any:
        socket = WebsocketCommunicator(
            application, "/ws/live/", headers=[*headers, (b"origin", b"https://evil.example")]
        )
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert run(scenario) is False


def test_pushes_from_synchronous_code_share_one_redis_connection_and_survive_a_restart(
    require_redis: str, settings: Any
) -> None:
    """A worker pushes after every offer: each push used to open its own event loop and Redis
    connection. Now one loop per process keeps one pool; a connection Redis dropped (as a
    restart does) costs one retry, not the event."""
    import redis
    from channels.layers import channel_layers, get_channel_layer

    from gigcx.realtime import push_to_user

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [require_redis], "prefix": "gigcx-test-push"},
        }
    }
    channel_layers.backends.clear()
    server = redis.Redis.from_url(require_redis)
    layer = get_channel_layer()

    async def subscribe() -> str:
        channel = await layer.new_channel()
        await layer.group_add(user_group(4242), channel)
        return channel

    async def drain(channel: str, count: int) -> list[Any]:
        return [(await layer.receive(channel))["event"]["n"] for _ in range(count)]

    try:
        channel = run(subscribe)
        push_to_user(4242, {"type": "warm", "n": -1})
        opened = server.info("stats")["total_connections_received"]
        for n in range(50):
            push_to_user(4242, {"type": "offer.new", "n": n})
        assert server.info("stats")["total_connections_received"] - opened <= 1

        server.client_kill_filter(_type="normal", skipme=True)  # what a restart does to clients
        push_to_user(4242, {"type": "offer.new", "n": 50})

        assert run(lambda: drain(channel, 52)) == list(range(-1, 51))
    finally:
        channel_layers.backends.clear()
