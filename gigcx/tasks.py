"""Core tasks: outbox delivery and its sweeper."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from gigcx.deadletters import DELIVERY_COUNT_KEEP, task_attempts_prune
from gigcx.events import event_deliver, outbox_dead_letter_exhausted, outbox_undelivered_ids
from gigcx.locks import exclusive

logger = logging.getLogger(__name__)


@shared_task(name="gigcx.deliver_event", acks_late=True)
def deliver_event(event_id: str) -> None:
    """Deliver one outbox event to its subscribers. Safe to run any number of times."""
    event_deliver(event_id=event_id)


@shared_task(name="gigcx.sweep_outbox")
def sweep_outbox() -> int:
    """Re-deliver events a worker lost between commit and delivery (beat, every 15 s).

    One sweep at a time across machines (gigcx.locks.exclusive). Events whose deliveries
    ran out (a subscriber that crashes its worker) go to the dead-letter table instead.
    """
    with exclusive("gigcx.sweep_outbox") as held:
        if not held:
            return 0
        ids = outbox_undelivered_ids(older_than=timedelta(seconds=30))
        delivered = sum(event_deliver(event_id=event_id) for event_id in ids)
        if ids:
            logger.info("outbox sweep: %d of %d undelivered events delivered", delivered, len(ids))
        outbox_dead_letter_exhausted()
        return len(ids)


@shared_task(name="gigcx.prune_task_attempts")
def prune_task_attempts() -> int:
    """Forget delivery counts of messages not seen for a day (beat, daily): their message
    was lost with the broker's data, and the database sweepers redo the work."""
    return task_attempts_prune(older_than=DELIVERY_COUNT_KEEP)


@shared_task(name="gigcx.prune_idempotency_keys")
def prune_idempotency_keys() -> int:
    """Forget Idempotency-Keys past their expiry (beat, hourly)."""
    from gigcx.idempotency import idempotency_keys_prune

    return idempotency_keys_prune()
