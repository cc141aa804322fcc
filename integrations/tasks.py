"""Sending webhook deliveries, and the sweep that sends whatever is due."""

from __future__ import annotations

import logging

from celery import shared_task

from gigcx.dispatch import enqueue
from gigcx.locks import exclusive
from integrations.services import (
    webhook_deliveries_due,
    webhook_deliveries_prune,
    webhook_delivery_attempt,
)

logger = logging.getLogger(__name__)

# Retries further away than this are left to the sweep: a long countdown would sit in the
# broker past its visibility timeout and come back early.
COUNTDOWN_MAX = 300


@shared_task(name="integrations.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    """Attempt one delivery if it is due (a claim makes a second run a no-op); schedule the
    next attempt of a failure. Safe to run any number of times."""
    attempt = webhook_delivery_attempt(delivery_id=delivery_id)
    if attempt is None or attempt.retry_in is None or attempt.retry_in > COUNTDOWN_MAX:
        return
    try:
        deliver_webhook.apply_async((delivery_id,), countdown=attempt.retry_in)
    except Exception:  # the broker is down: the sweep sends it when it is due
        logger.warning("webhook delivery %s: retry not scheduled; the sweep will", delivery_id)


@shared_task(name="integrations.sweep_webhooks")
def sweep_webhooks() -> int:
    """Queue every delivery whose next attempt is due (beat, every 10 s): retries past
    ``COUNTDOWN_MAX``, and deliveries whose task was lost with a worker or the broker."""
    with exclusive("integrations.sweep_webhooks") as held:
        if not held:
            return 0
        due = webhook_deliveries_due()
        for delivery_id in due:
            enqueue(deliver_webhook, delivery_id)
        return len(due)


@shared_task(name="integrations.prune_deliveries")
def prune_deliveries() -> int:
    """Forget finished deliveries past the log's keeping time (beat, nightly)."""
    return webhook_deliveries_prune()
