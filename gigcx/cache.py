"""The Redis cache with one connection pool per process.

Django keeps a cache object per thread and, under ASGI, per request (``caches`` is
context-local), and its Redis backend makes a connection pool per cache object: every request
opened a new Redis connection for its throttle counters, its session and its cached look-ups,
and dropped it at the end. This backend shares one client, and so one pool, between every
cache object of the process with the same servers and options (redis-py's client and pool
are thread-safe). It also keeps the ``redis.Redis`` object instead of building one per
call (each builds a table of ~170 response callbacks). A forked child (a Celery prefork
worker, a gunicorn worker) makes its own: a pool must not be shared across ``fork``.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_lock = threading.Lock()


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


class SharedRedisCacheClient(RedisCacheClient):
    """Django's client, handing out one ``redis.Redis`` per server instead of one per call."""

    if TYPE_CHECKING:  # Django's own attributes, which the type stubs leave out
        _client: Any
        _servers: list[str]
        _pools: dict[int, Any]
        _pool_class: Any
        _pool_options: dict[str, Any]

        def _get_connection_pool_index(self, write: bool) -> int: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            with _lock:
                client = self._redis.get(index)
                if client is None:
                    # The pool of the server drawn above: Django's _get_connection_pool
                    # draws a read replica again, and would file it under the wrong index.
                    pool = self._pools.get(index)
                    if pool is None:
                        pool = self._pools[index] = self._pool_class.from_url(
                            self._servers[index], **self._pool_options
                        )
                    client = self._redis[index] = self._client(connection_pool=pool)
        return client


class SharedPoolRedisCache(RedisCache):
    """Django's ``RedisCache``, its client (and connection pool) shared by the process."""

    if TYPE_CHECKING:  # Django's own attributes, which the type stubs leave out
        _servers: list[str]
        _options: dict[str, Any]

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient

    @property
    def _cache(self) -> RedisCacheClient:  # type: ignore[override]
        key = (os.getpid(), tuple(self._servers), _frozen(self._options))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = self._class(self._servers, **self._options)
        return client


def shared_clients() -> int:
    """How many clients (pools) this process holds, for tests."""
    return sum(1 for key in _clients if key[0] == os.getpid())
