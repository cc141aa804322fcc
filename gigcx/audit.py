"""The audit log: one call, inside the transaction of the change it records."""

from __future__ import annotations

from typing import Any

from django.db import models

from gigcx.models import AuditEvent


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    brand_id: int | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit line. ``actor`` may be a user, an API key principal or None (system)."""
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    if actor_id is not None and not isinstance(actor_id, int):
        actor_id = None
    extra = dict(data or {})
    api_key_id = getattr(actor, "api_key_id", None)
    if api_key_id is not None:
        extra["api_key_id"] = api_key_id
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        brand_id=brand_id,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=reason,
        data=extra,
    )
