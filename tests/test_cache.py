"""One Redis connection pool per process for the cache (gigcx/cache.py): Django makes a cache
object per thread and, under ASGI, per request; they must not each open a connection."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from gigcx.cache import SharedPoolRedisCache, shared_clients

# Nothing listens here: building clients and pools connects to nothing.
LOCATION = "redis://127.0.0.1:1/0"


def cache_in_thread(location: str = LOCATION, options: dict[str, Any] | None = None) -> Any:
    """A cache object made on another thread, as Django makes one per thread and request."""
    made: list[Any] = []
    thread = threading.Thread(
        target=lambda: made.append(SharedPoolRedisCache(location, {"OPTIONS": options or {}}))
    )
    thread.start()
    thread.join()
    return made[0]


def test_cache_objects_of_one_process_share_one_client_and_pool() -> None:
    # given: two cache objects, as two requests on two threads get
    first, second = cache_in_thread(), cache_in_thread()

    # then: one client, one pool, one redis.Redis for every call
    assert first is not second
    assert first._cache is second._cache
    assert first._cache.get_client(write=True) is second._cache.get_client(write=False)
    pool = first._cache.get_client().connection_pool
    assert second._cache.get_client().connection_pool is pool


def test_another_server_or_other_options_get_a_pool_of_their_own() -> None:
    base = cache_in_thread()
    other_db = cache_in_thread("redis://127.0.0.1:1/5")
    other_options = cache_in_thread(options={"socket_timeout": 2})

    assert other_db._cache is not base._cache
    assert other_options._cache is not base._cache
    assert other_options._cache.get_client().connection_pool.connection_kwargs[
        "socket_timeout"
    ] == pytest.approx(2)
    assert shared_clients() >= 3


def test_a_forked_child_makes_its_own_pool() -> None:
    parent = cache_in_thread()._cache
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            child = cache_in_thread()._cache
            os.write(write, b"own" if child is not parent else b"shared")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"own"


def test_the_shared_cache_stores_and_counts_on_a_real_redis(require_redis: str) -> None:
    # given: the cache a deployment with REDIS_URL gets, on two threads
    first, second = cache_in_thread(require_redis), cache_in_thread(require_redis)
    key = f"test-cache-{os.getpid()}"

    # when
    first.set(key, {"n": 1}, 30)
    first.add(f"{key}-count", 0, 30)

    # then: what one wrote the other reads, over the one pool
    assert second.get(key) == {"n": 1}
    assert second.incr(f"{key}-count") == 1
    second.delete_many([key, f"{key}-count"])
    assert first.get(key) is None


def test_each_replica_gets_the_reads_of_its_own_index(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: a primary and two replicas; the replica for a read is drawn at random
    servers = "redis://127.0.0.1:1/0;redis://127.0.0.1:2/0;redis://127.0.0.1:3/0"
    cache = cache_in_thread(servers)
    draws = iter([1, 2, 1, 2, 1, 2, 1, 2])
    monkeypatch.setattr("django.core.cache.backends.redis.random.randint", lambda a, b: next(draws))

    # when: reads draw replica 1, then 2
    first, second = cache._cache.get_client(), cache._cache.get_client()

    # then: each read went to the replica it drew, over that replica's one pool
    assert first.connection_pool.connection_kwargs["port"] == 2
    assert second.connection_pool.connection_kwargs["port"] == 3
    assert cache._cache.get_client() is first
    assert cache._cache.get_client() is second
