"""Database helpers: bounded retries of transactions PostgreSQL aborted to stay consistent.

Under concurrency PostgreSQL may abort a transaction with a serialization failure (40001) or
pick it as a deadlock victim (40P01). Both mean "nothing was written, run it again": the
services that take locks are wrapped in :func:`retry_on_conflict`, which runs the whole
transaction again a few times with a jittered pause. Inside an outer transaction it does not
retry (the outer one is already aborted); the outermost retrying caller does.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar, overload

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (psycopg puts it on the wrapped cause)."""
    for candidate in (exc, exc.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


@overload
def retry_on_conflict(func: Callable[P, R]) -> Callable[P, R]: ...


@overload
def retry_on_conflict(
    func: None = None, *, attempts: int = 4, base_delay: float = 0.02
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def retry_on_conflict(
    func: Callable[P, R] | None = None, *, attempts: int = 4, base_delay: float = 0.02
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Run ``func`` again (up to ``attempts`` times in all) when PostgreSQL aborted it with a
    serialization failure or a deadlock. ``func`` must own its transaction."""

    def decorate(inner: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(inner)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, attempts + 1):
                try:
                    return inner(*args, **kwargs)
                except OperationalError as exc:
                    retryable = sqlstate(exc) in RETRYABLE_SQLSTATES
                    if not retryable or attempt == attempts or connection.in_atomic_block:
                        raise
                    delay = base_delay * 2 ** (attempt - 1) * (1 + random.random())  # noqa: S311
                    logger.info(
                        "%s: %s, attempt %d of %d, again in %.0f ms",
                        inner.__qualname__,
                        sqlstate(exc),
                        attempt,
                        attempts,
                        delay * 1000,
                    )
                    time.sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    if func is not None:
        return decorate(func)
    return decorate
