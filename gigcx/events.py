"""Domain events through a transactional outbox.

A service that must cause something in a higher app (a resolved question books an earning)
calls :func:`event_record` inside its transaction. The row commits with the change; after
commit a task delivers it to the subscribers that higher apps registered at start-up with
:func:`subscribe`. If the worker dies between commit and delivery, the beat sweeper
(``gigcx.sweep_outbox``) finds the undelivered row and delivers it again. Each subscriber
runs at most once per event (``EventDelivery`` unique row, written in the subscriber's own
transaction), so redelivery is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gigcx.deadletters import dead_letter_record
from gigcx.dispatch import enqueue_on_commit
from gigcx.faults import failpoint
from gigcx.models import DeadLetter, DomainEvent, EventDelivery

logger = logging.getLogger(__name__)

Subscriber = Callable[[DomainEvent], None]
_subscribers: dict[str, list[tuple[str, Subscriber]]] = {}


def subscribe(event_name: str, *, name: str) -> Callable[[Subscriber], Subscriber]:
    """Register ``handler`` for ``event_name`` under a stable subscriber ``name``."""

    def register(handler: Subscriber) -> Subscriber:
        handlers = _subscribers.setdefault(event_name, [])
        if name not in {existing for existing, _ in handlers}:
            handlers.append((name, handler))
        return handler

    return register


def subscribers_of(event_name: str) -> list[tuple[str, Subscriber]]:
    return list(_subscribers.get(event_name, []))


def event_record(
    *, name: str, payload: dict[str, Any], brand_id: int | None = None, deliver: bool = True
) -> DomainEvent:
    """Record an event in the caller's transaction; delivery is enqueued after commit.

    ``payload`` holds ids and scalars only (it is logged and sent as task arguments' source).
    ``deliver=False``: the caller's own after-commit task delivers it (:func:`event_deliver`
    with the returned event's id), saving a broker message; the sweeper still delivers it
    if that task never does.
    """
    from gigcx.tasks import deliver_event

    event = DomainEvent.objects.create(name=name, payload=payload, brand_id=brand_id)
    if deliver:
        enqueue_on_commit(deliver_event, str(event.pk))
    return event


def event_deliver(*, event_id: str) -> bool:
    """Run every subscriber of the event that has not run yet. Idempotent.

    Returns True when the event is fully delivered. A failing subscriber leaves the event
    undelivered (the sweeper retries it) without undoing the subscribers that succeeded.
    """
    event = DomainEvent.objects.filter(pk=event_id).first()
    if event is None or event.delivered_at is not None:
        return event is not None
    DomainEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    failed = False
    for subscriber_name, handler in subscribers_of(event.name):
        try:
            with transaction.atomic():
                # Claim first: a concurrent delivery of the same event loses here and the
                # handler's writes roll back with the claim.
                EventDelivery.objects.create(event=event, subscriber=subscriber_name)
                failpoint("event.claimed", f"{event.pk}:{subscriber_name}")
                # The same moment for one kind of event only (a test can stop there without
                # stopping every other event the question it asks produces).
                failpoint(f"event.claimed:{event.name}", f"{event.pk}:{subscriber_name}")
                handler(event)
        except Exception as exc:
            if isinstance(exc, IntegrityError) and _delivered(event, subscriber_name):
                continue  # the claim lost: already delivered to this subscriber
            # Anything else, an IntegrityError of the handler's own included, is a failure.
            failed = True
            logger.error("event %s: subscriber %s failed", event.pk, subscriber_name, exc_info=exc)
            DomainEvent.objects.filter(pk=event.pk).update(last_error=f"{subscriber_name}: {exc}")
    if failed:
        return False
    DomainEvent.objects.filter(pk=event.pk, delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )
    return True


def _delivered(event: DomainEvent, subscriber_name: str) -> bool:
    """Whether ``subscriber_name`` has run for ``event``: what an IntegrityError on the claim
    (``eventdelivery_once_per_subscriber``) means, told apart from any other by looking.
    Asked after the failed transaction rolled back, so a concurrent delivery has committed."""
    return EventDelivery.objects.filter(event=event, subscriber=subscriber_name).exists()


def outbox_undelivered_ids(*, older_than: timedelta, limit: int = 500) -> list[str]:
    """Undelivered events older than ``older_than``, oldest first, for the sweeper.

    Events tried ``GIGCX_TASK_MAX_DELIVERIES`` times are left out: a subscriber that crashes
    its worker would otherwise take every sweep down before it reaches the events behind
    it. :func:`outbox_dead_letter_exhausted` hands them to an operator instead.
    """
    cutoff = timezone.now() - older_than
    return [
        str(pk)
        for pk in DomainEvent.objects.filter(
            delivered_at__isnull=True,
            created_at__lt=cutoff,
            attempts__lt=settings.GIGCX_TASK_MAX_DELIVERIES,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    ]


def outbox_dead_letter_exhausted(*, limit: int = 100) -> int:
    """Record a dead letter, once per event, for undelivered events out of attempts, so
    operators see them (``manage.py deadletters --retry`` delivers one again)."""
    exhausted = DomainEvent.objects.filter(
        delivered_at__isnull=True, attempts__gte=settings.GIGCX_TASK_MAX_DELIVERIES
    ).values_list("pk", "attempts", "last_error")[:limit]
    recorded = 0
    for pk, attempts, last_error in exhausted:
        task_id = f"outbox:{pk}"
        if DeadLetter.objects.filter(task_id=task_id).exists():
            continue  # open, or already retried or discarded by an operator
        dead_letter_record(
            task_id=task_id,
            name="gigcx.deliver_event",
            args=[str(pk)],
            kwargs={},
            reason="failed" if last_error else "poison",
            attempts=attempts,
            error=last_error or "Delivery never finished (the worker was killed or hung).",
        )
        recorded += 1
    return recorded
