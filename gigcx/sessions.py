"""Sessions read from the shared cache, written through to the database, and still working
while the cache is down.

Django's ``cached_db`` engine saves a request's database read of the session row (with
Redis, a signed-in page then costs one database read for the user instead of two). Its
load and save already forgive a failing cache, but ``exists`` and ``delete`` do not: with
Redis away, a login (which checks a new key with ``exists``) or a logout would answer 500.
This engine falls back to the database for every call instead.

A cached copy lives at most ``GIGCX_SESSION_CACHE_SECONDS`` (10 minutes). Logging out while
the cache is unreachable deletes the database row but cannot delete the cached copy; if the
cache comes back with that copy, the cookie of the logged-out session would work again until
the copy expires. The short lifetime bounds that window, and everything that ends sessions
for security (a password change or reset, an erased account) works by the password hash
Django checks on every request, which no cached copy survives.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.cache.backends.base import BaseCache

from gigcx.exceptions import unavailable_dependency

logger = logging.getLogger(__name__)

_last_warning = 0.0


def _cache_failed(exc: BaseException, what: str) -> None:
    """Swallow a cache that is unavailable (one warning per outage); re-raise anything else."""
    global _last_warning
    if not unavailable_dependency(exc):
        raise exc
    now = time.monotonic()
    if now - _last_warning > 30:
        _last_warning = now
        logger.warning("sessions from the database only: cache unavailable on %s (%r)", what, exc)


class SessionStore(CachedDBStore):
    """``cached_db`` with every cache call guarded (the synchronous and the async ones)."""

    _cache: BaseCache  # set by cached_db's __init__

    if TYPE_CHECKING:  # Django's own helpers, which the type stubs leave out
        from django.contrib.sessions.models import Session

        def _get_session_from_db(self) -> Session | None: ...

        async def _aget_session_from_db(self) -> Session | None: ...

        def _get_session(self, no_load: bool = False) -> dict[str, Any]: ...

    def _cache_timeout(self, age: int) -> int:
        return max(1, min(age, settings.GIGCX_SESSION_CACHE_SECONDS))

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception as exc:
            _cache_failed(exc, "load")
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        try:
            age = self.get_expiry_age(expiry=row.expire_date)
            self._cache.set(self.cache_key, data, self._cache_timeout(age))
        except Exception as exc:
            _cache_failed(exc, "load")
        return data

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception as exc:
            _cache_failed(exc, "exists")
        return super(CachedDBStore, self).exists(session_key)

    def save(self, must_create: bool = False) -> None:
        super(CachedDBStore, self).save(must_create)
        try:
            self._cache.set(
                self.cache_key, self._get_session(), self._cache_timeout(self.get_expiry_age())
            )
        except Exception as exc:
            _cache_failed(exc, "save")

    def delete(self, session_key: str | None = None) -> None:
        super(CachedDBStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception as exc:
            _cache_failed(exc, "delete")

    async def aload(self) -> dict[str, Any]:
        try:
            data = await self._cache.aget(await self.acache_key())
        except Exception as exc:
            _cache_failed(exc, "load")
            data = None
        if data is not None:
            return data
        row = await self._aget_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        try:
            age = await self.aget_expiry_age(expiry=row.expire_date)
            await self._cache.aset(await self.acache_key(), data, self._cache_timeout(age))
        except Exception as exc:
            _cache_failed(exc, "load")
        return data

    async def aexists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if await self._cache.ahas_key(self.cache_key_prefix + session_key):
                return True
        except Exception as exc:
            _cache_failed(exc, "exists")
        return await super(CachedDBStore, self).aexists(session_key)

    async def asave(self, must_create: bool = False) -> None:
        await super(CachedDBStore, self).asave(must_create)
        try:
            age = await self.aget_expiry_age()
            await self._cache.aset(
                await self.acache_key(), self._get_session(), self._cache_timeout(age)
            )
        except Exception as exc:
            _cache_failed(exc, "save")

    async def adelete(self, session_key: str | None = None) -> None:
        await super(CachedDBStore, self).adelete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            await self._cache.adelete(self.cache_key_prefix + session_key)
        except Exception as exc:
            _cache_failed(exc, "delete")
