"""Core tasks: outbox delivery and its sweeper."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.core.cache import cache

from gigcx.deadletters import task_attempts_prune
from gigcx.events import event_deliver, outbox_undelivered_ids


@shared_task(name="gigcx.deliver_event", acks_late=True)
def deliver_event(event_id: str) -> None:
    """Deliver one outbox event to its subscribers. Safe to run any number of times."""
    event_deliver(event_id=event_id)


@shared_task(name="gigcx.sweep_outbox")
def sweep_outbox() -> int:
    """Re-deliver events a worker lost between commit and delivery (beat, every 15 s).

    A cache lock keeps two beats (or a slow previous run) from sweeping at once.
    """
    if not cache.add("lock:gigcx.sweep_outbox", "1", timeout=60):
        return 0
    try:
        ids = outbox_undelivered_ids(older_than=timedelta(seconds=30))
        for event_id in ids:
            event_deliver(event_id=event_id)
        return len(ids)
    finally:
        cache.delete("lock:gigcx.sweep_outbox")


@shared_task(name="gigcx.prune_task_attempts")
def prune_task_attempts() -> int:
    """Forget delivery counts of messages not seen for a day (beat, daily): their message
    was lost with the broker's data, and the database sweepers redo the work."""
    return task_attempts_prune(older_than=timedelta(days=1))
