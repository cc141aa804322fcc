"""One holder at a time across machines, for the beat sweepers.

On PostgreSQL the lock is a session advisory lock: it is held exactly as long as the sweep
runs (however long that is), and released by PostgreSQL itself if the process dies, so a
crashed sweeper never blocks the next one. Elsewhere (the embedded SQLite default, one
machine) it is a cache entry with a timeout. Every sweep is also safe to run twice at once;
the lock only saves the wasted work.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from collections.abc import Iterator

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def _key(name: str) -> int:
    return zlib.crc32(f"gigcx:{name}".encode())  # a stable 32-bit id for pg_try_advisory_lock


@contextlib.contextmanager
def exclusive(name: str, *, timeout: int = 300) -> Iterator[bool]:
    """Yield True when this caller holds ``name``, False when someone else does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(name)])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(name)])
        return
    key = f"lock:{name}"
    try:
        held = cache.add(key, "1", timeout=timeout)
    except Exception:  # the cache is down: run unlocked rather than not at all
        logger.warning("lock %s: cache unavailable, running without the lock", name)
        yield True
        return
    try:
        yield held
    finally:
        if held:
            with contextlib.suppress(Exception):
                cache.delete(key)
