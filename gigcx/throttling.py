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

import functools
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

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

    def incr(self, key: str, timeout: int) -> int:
        """Add one to the counter ``key`` (created with ``timeout``) and return it. Atomic on
        Redis; on the database cache two requests at the same instant may count once."""
        for cache in (caches["default"], _local):
            try:
                cache.add(key, 0, timeout)
                try:
                    return cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, timeout)
                    return 1
            except Exception as exc:
                if cache is _local or not unavailable_dependency(exc):
                    raise
                _fell_back(exc)
        raise AssertionError("unreachable")  # pragma: no cover


def client_ip(request: Any) -> str:
    """The address of the client, as far as we can trust it.

    With ``GIGCX_TRUSTED_PROXIES = 0`` (the default) it is the peer address (REMOTE_ADDR):
    an ``X-Forwarded-For`` sent by a client is ignored, since anyone can write one. With N
    trusted proxies in front of the site, each appends the address it received the request
    from, so the Nth entry from the right is the first one no client could forge.
    """
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR") or ""
    proxies = settings.GIGCX_TRUSTED_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR") or ""
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class _TrustedClientIp:
    def get_ident(self, request: Any) -> str:
        return client_ip(request)


class AnonRateThrottle(_TrustedClientIp, throttling.AnonRateThrottle):
    cache = ResilientCache()


class UserRateThrottle(_TrustedClientIp, throttling.UserRateThrottle):
    cache = ResilientCache()


class ScopedRateThrottle(_TrustedClientIp, throttling.ScopedRateThrottle):
    cache = ResilientCache()


class WriteRateThrottle(ScopedRateThrottle):
    """A scoped limit on writes only (POST, PUT, PATCH, DELETE): reading a list is not what a
    flood of applications or quiz attempts costs."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


# ---------------------------------------------------------------------------------------
# Limits on HTML forms (and Django's admin login), counted in the same shared cache
# ---------------------------------------------------------------------------------------
_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/min" -> (10, 60); "5/15m" -> (5, 900)."""
    count, _, period = rate.partition("/")
    digits = "".join(ch for ch in period if ch.isdigit()) or "1"
    unit = period[len(digits) :] if period[:1].isdigit() else period
    return int(count), int(digits) * _PERIODS[unit]


def rate_limit_hit(*, scope: str, ident: str, rate: str) -> int:
    """Count one attempt of ``ident`` at ``scope``; 0 when allowed, else the seconds to wait.

    Fixed windows aligned to the clock: simple, and a counter is one cache key.
    """
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    count = ResilientCache().incr(f"rl:{scope}:{ident}:{window}", period + 1)
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * period - now))


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(request, "errors/429.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limited(
    scope: str, *, by: Callable[[HttpRequest], str | None] | None = None
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Limit the POSTs of an HTML view to ``settings.GIGCX_FORM_RATE_LIMITS[scope]`` per client
    address, and per ``by(request)`` too when given (an account, a submitted username).
    Over the limit the person gets a friendly 429 page with Retry-After."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                rate = settings.GIGCX_FORM_RATE_LIMITS[scope]
                idents = [f"ip:{client_ip(request)}"]
                extra = by(request) if by else None
                if extra:
                    idents.append(f"by:{extra.strip().lower()}")
                wait = max(rate_limit_hit(scope=scope, ident=i, rate=rate) for i in idents)
                if wait:
                    logger.warning("rate limit %s exceeded", scope)
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
