"""Rate limits that keep working, less precisely, while the shared cache is down.

DRF's throttles keep their counters in the default cache (Redis in production). When Redis is
unreachable we neither fail the request (a 503 for every API call because a counter is
missing) nor drop the limit (an anonymous caller could then send unlimited questions, each
mailing an address of their choosing). Instead the counters move to this process's memory
for the duration of the outage: each process enforces the limit on its own, so the effective
limit is at most the configured rate times the number of web processes, and it snaps back to
the shared counters as soon as Redis answers again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import throttling

from gigcx.exceptions import unavailable_dependency

logger = logging.getLogger(__name__)

_local = LocMemCache("gigcx-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
_last_warning = 0.0


def _fell_back(exc: BaseException) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 30:  # one line per outage, not one per request
        _last_warning = now
        logger.warning("throttle counters in process memory: cache unavailable (%r)", exc)


class ResilientCache:
    """The two calls throttles make, on the shared cache, or on process memory while it is
    unavailable."""

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return caches["default"].get(key, default)
        except Exception as exc:
            if not unavailable_dependency(exc):
                raise
            _fell_back(exc)
            return _local.get(key, default)

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        try:
            caches["default"].set(key, value, timeout)
        except Exception as exc:
            if not unavailable_dependency(exc):
                raise
            _fell_back(exc)
            _local.set(key, value, timeout)


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = ResilientCache()


class UserRateThrottle(throttling.UserRateThrottle):
    cache = ResilientCache()


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    cache = ResilientCache()
