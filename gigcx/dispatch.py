"""Enqueueing tasks after commit, without ever failing a request that already committed.

A write and the task that follows it up are not one transaction: the row commits, then the
task is published. If the broker is down at that moment the publish fails, but the write
stands and its follow-up is owned by the database: every state has a deadline a beat sweeper
enforces (a question still ``new`` is triaged again, a ``waiting`` one is routed, an
undelivered outbox event is delivered). So a failed publish is logged, never raised: the
caller already told the user their question was saved, and it was.
"""

from __future__ import annotations

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)

# What a publish raises when the broker cannot be reached (after Celery's own short retry).
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)

# Publishing happens on the request's thread: try briefly, then leave it to the sweepers.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}


def enqueue(task: Task, *args: Any, run_here_if_broker_down: bool = False, **kwargs: Any) -> bool:
    """Publish ``task`` now. Returns False (and logs) when the broker is unreachable.

    ``run_here_if_broker_down`` is for follow-ups no sweeper owns (an invitation email):
    they run in this process instead, and their own failure is logged, not raised.
    """
    if task.app.conf.task_always_eager:
        # Tests and eager set-ups run the body right here: its errors are the caller's.
        task.apply_async(args=args, kwargs=kwargs)
        return True
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as exc:
        # Not only BROKER_ERRORS: just after a Redis restart kombu's producer can fail with an
        # AttributeError on a torn-down channel (the bug gigcx/broker_patches.py works around
        # on the consumer side). Whatever the publish raised, the write has committed.
        if run_here_if_broker_down:
            logger.warning("broker unreachable, running %s%s here", task.name, args)
            try:
                task.run(*args, **kwargs)
            except Exception:
                logger.exception("%s%s failed while the broker was unreachable", task.name, args)
                return False
            return True
        if isinstance(exc, BROKER_ERRORS):
            logger.warning(
                "broker unreachable, %s%s not published; the sweeper will pick it up (%s)",
                task.name,
                args,
                exc.__class__.__name__,
            )
        else:
            logger.exception("publishing %s%s failed; the sweeper will pick it up", task.name, args)
        return False
    return True


def enqueue_on_commit(
    task: Task, *args: Any, run_here_if_broker_down: bool = False, **kwargs: Any
) -> None:
    """Publish ``task`` once the surrounding transaction commits (nothing if it rolls back).

    Use this instead of ``delay_on_commit``: a broker outage after COMMIT must not turn a
    saved write into an error response.
    """
    transaction.on_commit(
        lambda: enqueue(task, *args, run_here_if_broker_down=run_here_if_broker_down, **kwargs)
    )
