"""The Celery no-op probe of ``make bench-perf`` (bench/perf_pipeline.py).

The worker loads this module beside the project's tasks (``--include perf_tasks``) and runs
it on the same Redis, the same pool and the same settings (acks_late, prefetch 1) as routing.
The no-op does one pipelined Redis round trip (INCR a counter, push the publish time and its
own start time), so the caller can count completions and time the round trip
(../shared/PERFORMANCE.md, section 1).
"""

from __future__ import annotations

import time

import redis
from celery import Task, shared_task
from django.conf import settings

COUNTER = "perfbench:noop:done"
MARKS = "perfbench:noop:marks"
_client: redis.Redis | None = None


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


def _mark(sent_at: float, mark: bool) -> None:
    pipe = client().pipeline(transaction=False)
    pipe.incr(COUNTER)
    if mark:
        pipe.rpush(MARKS, f"{sent_at} {time.time()}")
    pipe.execute()


@shared_task(name="perfbench.noop", ignore_result=True, base=Task)
def noop(sent_at: float = 0.0, mark: bool = False) -> None:
    """Celery's own no-op: plain ``celery.Task``, the probe of the table."""
    _mark(sent_at, mark)


@shared_task(name="perfbench.noop_project", ignore_result=True)
def noop_project(sent_at: float = 0.0, mark: bool = False) -> None:
    """The same on the project's base task (gigcx.deadletters.GigcxTask: every delivery
    counted before the body runs, in the broker's Redis here): what any project task pays
    first."""
    _mark(sent_at, mark)
