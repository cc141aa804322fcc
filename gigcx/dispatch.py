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
from typing import Any, NamedTuple

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


class Publish(NamedTuple):
    """One task message for :func:`enqueue_many`: the task, its arguments, and whether it
    runs here when the broker is down (see :func:`enqueue`)."""

    task: Task
    args: tuple[Any, ...]
    run_here_if_broker_down: bool = False


def enqueue_many(publishes: list[Publish]) -> None:
    """Publish several task messages in one broker round trip: one producer, one Redis
    pipeline (kombu's ``Producer.batch``), rather than a client and a round trip each.

    What a request enqueues after its commit (triage, a mail) costs the web process little
    this way. If the batch cannot be sent, each message gets :func:`enqueue`'s own try,
    retry and fallback. Like :func:`enqueue`, it never raises for an unreachable broker.
    """
    if not publishes:
        return
    app = publishes[0].task.app
    if app.conf.task_always_eager or len(publishes) == 1:
        for task, args, run_here in publishes:
            enqueue(task, *args, run_here_if_broker_down=run_here)
        return
    try:
        with app.producer_or_acquire() as producer, producer.batch():
            for task, args, _ in publishes:
                task.apply_async(args=args, producer=producer)
    except Exception as exc:
        # Nothing of the batch is known to be sent: each message is tried on its own. (A
        # pipeline that failed after Redis ran it would send one twice; every task is safe
        # twice, as the retries of a single publish already require.)
        logger.warning(
            "broker batch of %d not published (%s); publishing one by one",
            len(publishes),
            exc.__class__.__name__,
        )
        for task, args, run_here in publishes:
            enqueue(task, *args, run_here_if_broker_down=run_here)
