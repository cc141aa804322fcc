"""Webhook endpoints (create, change, delete, rotate the secret) and their deliveries.

How a delivery lives:

- **Created with the event.** :func:`webhook_event_fanout` is an outbox subscriber: it runs in
  the outbox's delivery transaction, next to the ``EventDelivery`` claim, so each endpoint
  gets exactly one delivery row per event however often the event is redelivered.
- **Attempted by a claim.** :func:`webhook_delivery_attempt` moves a due delivery's
  ``next_attempt_at`` past the request's timeout in one conditional UPDATE; only the caller
  that changed the row sends. A worker that dies mid-request leaves the row due again once
  that lease runs out, and the beat sweep (``integrations.sweep_webhooks``) sends it.
- **Retried with backoff.** A failed attempt (network error, a status outside 2xx, a
  redirect, an address that is no longer public) is due again after 5 s, 30 s, 2 min,
  10 min, 1 h and 6 h; after that it is ``failed``. Staff replay any delivery.
- **One message id.** ``webhook-id`` is the same on every attempt and replay: a receiver that
  keeps the ids it handled acts on each message once.
"""

from __future__ import annotations

import http.client
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.dispatch import enqueue_on_commit
from gigcx.exceptions import ApplicationError
from gigcx.models import DomainEvent
from integrations import delivery as sending
from integrations.models import (
    EVENT_NAMES,
    WebhookDelivery,
    WebhookEndpoint,
    webhook_secret_new,
)
from integrations.payloads import payload_for
from integrations.urlguard import UnsafeUrl, url_check
from marketplace.models import Brand

logger = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed attempt; one more failure and it is failed.
RETRY_DELAYS: tuple[int, ...] = (5, 30, 120, 600, 3600, 6 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DESCRIPTION_MAX = 200
URL_MAX = 500


def _lease() -> timedelta:
    # Longer than any attempt can take (connect and read each up to the timeout).
    return timedelta(seconds=2 * settings.GIGCX_WEBHOOKS_TIMEOUT + 30)


def webhook_endpoint_validate(
    *, url: str | None = None, events: Any = None, description: str | None = None
) -> dict[str, Any]:
    """Check the fields given (None: not given). Returns them cleaned; raises a 400 naming
    each bad field. The URL's host is resolved now (and again before every attempt)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if url is not None:
        url = url.strip()
        if len(url) > URL_MAX:
            errors["url"] = [gettext("Keep the URL under %(max)s characters.") % {"max": URL_MAX}]
        else:
            try:
                url_check(url)
            except UnsafeUrl as exc:
                errors["url"] = [exc.message]
            cleaned["url"] = url
    if events is not None:
        if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
            errors["events"] = [gettext("Give a list of event names.")]
        else:
            unknown = sorted(set(events) - set(EVENT_NAMES))
            if unknown:
                errors["events"] = [
                    gettext("Unknown event %(unknown)s; choose from %(events)s.")
                    % {"unknown": ", ".join(unknown), "events": ", ".join(EVENT_NAMES)}
                ]
            elif not events:
                errors["events"] = [gettext("Choose at least one event.")]
            else:
                cleaned["events"] = [name for name in EVENT_NAMES if name in set(events)]
    if description is not None:
        description = description.strip()
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = [
                gettext("Keep it under %(max)s characters.") % {"max": DESCRIPTION_MAX}
            ]
        cleaned["description"] = description
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(
            gettext("The webhook could not be saved: %(error)s") % {"error": first},
            code="invalid",
            fields=errors,
        )
    return cleaned


def webhook_endpoint_create(
    *, brand: Brand, url: str, events: list[str], actor: Any, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its signing secret (shown to the caller now)."""
    cleaned = webhook_endpoint_validate(url=url, events=events, description=description)
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint(brand=brand, created_by=_user_or_none(actor), **cleaned)
        endpoint.secret = secret
        endpoint.save()
        audit_record(
            actor=actor,
            action="webhook.created",
            target=endpoint,
            brand_id=brand.pk,
            data={"url": endpoint.url, "events": endpoint.events},
        )
    return endpoint, secret


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, actor: Any, **changes: Any) -> Any:
    """Change ``url``, ``events``, ``description`` and/or ``is_active``."""
    allowed = {"url", "events", "description", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            gettext("Cannot change %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned = webhook_endpoint_validate(
        url=changes.get("url"), events=changes.get("events"), description=changes.get("description")
    )
    if "is_active" in changes:
        cleaned["is_active"] = bool(changes["is_active"])
    with transaction.atomic():
        before = {name: getattr(endpoint, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(endpoint, name, value)
        endpoint.save(update_fields=[*cleaned, "updated_at"])
        changed = {n: [before[n], v] for n, v in cleaned.items() if before[n] != v}
        if changed:
            audit_record(
                actor=actor,
                action="webhook.changed",
                target=endpoint,
                brand_id=endpoint.brand_id,
                data=changed,
            )
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: Any) -> None:
    """Delete an endpoint and its delivery log (nothing more is sent to it)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="webhook.deleted",
            target=endpoint,
            brand_id=endpoint.brand_id,
            data={"url": endpoint.url},
        )
        endpoint.delete()


def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: Any) -> str:
    """A new signing secret, in force for the next attempt; returns it."""
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint.secret = secret
        endpoint.save(update_fields=["secret_sealed", "updated_at"])
        audit_record(
            actor=actor,
            action="webhook.secret_rotated",
            target=endpoint,
            brand_id=endpoint.brand_id,
        )
    return secret


def webhook_secret_reveal(*, endpoint: WebhookEndpoint, actor: Any) -> str:
    """The signing secret, for someone setting up the receiver (audited)."""
    audit_record(
        actor=actor, action="webhook.secret_revealed", target=endpoint, brand_id=endpoint.brand_id
    )
    return endpoint.secret


def webhook_delivery_replay(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """Send a delivery again now, with the same message id, and a fresh retry schedule."""
    if not delivery.endpoint.is_active:
        raise ApplicationError(
            gettext("This endpoint is disabled; enable it before replaying its deliveries."),
            code="endpoint_disabled",
        )
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            delivered_at=None,
        )
        audit_record(
            actor=actor,
            action="webhook.delivery_replayed",
            target=delivery,
            brand_id=delivery.brand_id,
            data={"endpoint_id": delivery.endpoint_id, "message_id": delivery.message_id},
        )
        from integrations.tasks import deliver_webhook

        enqueue_on_commit(deliver_webhook, delivery.pk)
    delivery.refresh_from_db()
    return delivery


def webhook_event_fanout(*, event: DomainEvent) -> list[WebhookDelivery]:
    """One delivery per active endpoint of the event's brand that wants it (outbox subscriber).
    Runs in the outbox's transaction; sending starts after commit."""
    if event.brand_id is None or event.name not in EVENT_NAMES:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.active().filter(brand_id=event.brand_id)
        if endpoint.wants(event.name)
    ]
    if not endpoints:
        return []
    payload = payload_for(event)
    if payload is None:
        return []
    from integrations.tasks import deliver_webhook

    created = []
    now = timezone.now()
    for endpoint in endpoints:
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint,
                    brand_id=endpoint.brand_id,
                    event_type=event.name,
                    event_id=event.pk,
                    message_id=f"msg_{uuid.uuid4().hex}",
                    payload=payload,
                    next_attempt_at=now,
                )
        except IntegrityError:
            continue  # this event already has its delivery to this endpoint
        created.append(delivery)
        enqueue_on_commit(deliver_webhook, delivery.pk)
    return created


@dataclass(frozen=True)
class Attempt:
    delivery: WebhookDelivery
    retry_in: int | None  # seconds until the next attempt, None when done


def webhook_delivery_attempt(*, delivery_id: int) -> Attempt | None:
    """Claim a due delivery and POST it once. None when it is not due (another attempt holds
    it, it was delivered, or it is not there). Never raises for the receiver's failures."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + _lease(), attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    status_code: int | None = None
    snippet = ""
    error = ""
    if not endpoint.is_active:
        error = "The endpoint is disabled."
    else:
        try:
            target = url_check(endpoint.url)
            body = sending.body_of(delivery.payload)
            headers = sending.signed_headers(
                secret=endpoint.secret, message_id=delivery.message_id, at=timezone.now(), body=body
            )
            response = sending.post(target=target, body=body, headers=headers)
            status_code, snippet = response.status, response.snippet
            if not 200 <= status_code < 300:
                error = f"The endpoint answered {status_code}."
        except UnsafeUrl as exc:
            error = f"Refused: {exc.message}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
    return _attempt_record(
        delivery=delivery,
        status_code=status_code,
        snippet=snippet,
        error=error,
        give_up=not endpoint.is_active,
    )


def _attempt_record(
    *, delivery: WebhookDelivery, status_code: int | None, snippet: str, error: str, give_up: bool
) -> Attempt:
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": status_code,
        "last_response": snippet[:500],
        "last_error": error[:300],
    }
    retry_in = None
    if not error:
        fields.update(
            status=WebhookDelivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None
        )
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    else:
        retry_in = RETRY_DELAYS[delivery.attempts - 1]
        fields.update(next_attempt_at=now + timedelta(seconds=retry_in))
    # Only the attempt that holds the claim records (a replay since resets the row).
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(**fields)
    delivery.refresh_from_db()
    if error:
        logger.info("webhook delivery %s (attempt %d): %s", delivery.pk, delivery.attempts, error)
    return Attempt(delivery=delivery, retry_in=retry_in)


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    """Deliveries whose next attempt is due, oldest first (for the sweep)."""
    return list(
        WebhookDelivery.objects.due()
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_deliveries_prune(*, now: Any = None) -> int:
    """Delete finished deliveries older than ``GIGCX_WEBHOOKS_LOG_DAYS`` (beat, nightly): the
    log keeps payloads (redacted text among them) no longer than it is useful. Returns how
    many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.GIGCX_WEBHOOKS_LOG_DAYS)
    return WebhookDelivery.objects.filter(
        created_at__lt=cutoff,
        status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED],
    ).delete()[0]


def webhook_payloads_scrub(*, question_ids: Collection[int], text: str) -> int:
    """Replace the question text in the stored webhook messages about these questions with
    ``text`` (a customer erased her account, or the brand's retention ran out): a pending
    delivery then sends the placeholder, and the delivery log and a replay no longer hold her
    words. Idempotent; returns how many messages changed."""
    changed = []
    for delivery in (
        WebhookDelivery.objects.filter(payload__data__question__id__in=list(question_ids))
        .exclude(payload__data__question__text=text)
        .only("pk", "payload")
        .iterator(chunk_size=500)
    ):
        delivery.payload["data"]["question"]["text"] = text
        changed.append(delivery)
    WebhookDelivery.objects.bulk_update(changed, ["payload"], batch_size=500)
    return len(changed)


def _user_or_none(actor: Any) -> Any:
    # A brand API key acts as a principal, not a user row.
    if getattr(actor, "api_key_id", None) is not None:
        return None
    return actor if getattr(actor, "is_authenticated", False) else None
