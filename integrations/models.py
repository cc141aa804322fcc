"""A brand's webhook endpoints and the log of what was sent to them."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gigcx.tenancy import EDITOR_ROLES, ScopedQuerySet, Viewer
from marketplace.models import Brand

# What a brand may subscribe to: (name, what it means).
EVENTS: tuple[tuple[str, str | Promise], ...] = (
    ("question.asked", _("A customer asked a question")),
    ("question.offered", _("A question was offered to experts")),
    ("question.accepted", _("An expert accepted a question")),
    ("question.resolved", _("A question was resolved")),
    ("question.rated", _("The customer rated the answer")),
    ("question.escalated", _("A question went to the brand's own team")),
    ("payout.paid", _("A payout to an expert was paid")),
    ("payout.failed", _("A payout to an expert failed")),
)
EVENT_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENTS)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"gigcx.webhooks:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpointQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> WebhookEndpointQuerySet:
        # Endpoints carry a signing secret: owners and managers only, like API keys.
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids(EDITOR_ROLES)))

    def active(self) -> WebhookEndpointQuerySet:
        return self.filter(is_active=True, brand__is_active=True)


class WebhookEndpoint(models.Model):
    """Where a brand wants to hear about events. The secret is stored encrypted with a key
    derived from SECRET_KEY (it must be read back to sign), never shown in lists."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    secret_sealed = models.TextField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        try:
            return _fernet().decrypt(self.secret_sealed.encode()).decode()
        except InvalidToken:  # SECRET_KEY rotated since: rotate the endpoint's secret
            return ""

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_sealed = _fernet().encrypt(value.encode()).decode()

    def wants(self, event_name: str) -> bool:
        return event_name in (self.events or [])


class WebhookDeliveryQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> WebhookDeliveryQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids(EDITOR_ROLES)))

    def due(self, now: object = None) -> WebhookDeliveryQuerySet:
        return self.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
        )


class WebhookDelivery(models.Model):
    """One message to one endpoint. ``message_id`` is the ``webhook-id`` header: the same on
    every attempt and replay, so a receiver can drop a message it has already handled.

    pending -> delivered | failed. ``next_attempt_at`` is when it is due; an attempt claims it
    by moving that time past the request's timeout, so a worker that dies mid-request leaves
    it due again a little later (the sweep picks it up)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=40)
    # The outbox event it came from (none for a test ping): one delivery per event and endpoint.
    event_id = models.UUIDField(null=True, blank=True)
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_response = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                condition=Q(event_id__isnull=False),
                name="webhook_delivery_once_per_event",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id} ({self.status})"
