"""Reads of webhook endpoints and deliveries, always through the viewer's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from gigcx.tenancy import Viewer
from integrations.models import WebhookDelivery, WebhookEndpoint
from marketplace.models import Brand


def webhook_endpoint_list(*, brand: Brand, viewer: Viewer) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.visible_to(viewer).filter(brand=brand)


def webhook_endpoint_get(
    *, brand: Brand, viewer: Viewer, endpoint_id: int
) -> WebhookEndpoint | None:
    return webhook_endpoint_list(brand=brand, viewer=viewer).filter(pk=endpoint_id).first()


def webhook_delivery_list(
    *, endpoint: WebhookEndpoint, viewer: Viewer, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.visible_to(viewer).filter(
        endpoint=endpoint, brand_id=endpoint.brand_id
    )
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries


def webhook_delivery_get(
    *, endpoint: WebhookEndpoint, viewer: Viewer, delivery_id: int
) -> WebhookDelivery | None:
    return (
        webhook_delivery_list(endpoint=endpoint, viewer=viewer)
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
