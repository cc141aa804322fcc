"""Presence and load: going online, heartbeats, and the capacity counter."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gigcx.exceptions import ApplicationError
from marketplace.models import Expert
from routing.models import Presence


def presence_for(user: Any) -> Presence:
    profile = getattr(user, "expert_profile", None)
    presence, _ = Presence.objects.get_or_create(
        user=user, defaults={"capacity": profile.capacity if profile else 2}
    )
    return presence


@transaction.atomic
def presence_set(*, user: Any, status: str, reason: str = "") -> Presence:
    """Go online, away or offline. Going online enqueues routing of waiting questions."""
    if status not in Presence.Status.values:
        raise ApplicationError(
            f"Unknown status '{status}'; use online, away or offline.",
            fields={"status": ["Use online, away or offline."]},
        )
    if (
        status == Presence.Status.ONLINE
        and not Expert.objects.approved().filter(user=user).exists()
    ):
        raise ApplicationError(
            "Only approved experts can go online. Your application may still be in review.",
            code="not_an_expert",
        )
    presence = presence_for(user)
    profile = getattr(user, "expert_profile", None)
    now = timezone.now()
    changes: dict[str, Any] = {"status": status, "status_reason": reason}
    if status == Presence.Status.ONLINE:
        changes.update(last_heartbeat_at=now, missed_offers=0)
        if profile is not None and profile.capacity >= presence.active:
            changes["capacity"] = profile.capacity
    Presence.objects.filter(pk=presence.pk).update(**changes)
    presence.refresh_from_db()
    if status == Presence.Status.ONLINE:
        from routing.tasks import route_waiting_soon

        route_waiting_soon()
    return presence


def presence_heartbeat(*, user: Any) -> Presence:
    """Keep an online expert fresh. A heartbeat does not bring back an expert set away."""
    presence = presence_for(user)
    Presence.objects.filter(pk=presence.pk).update(last_heartbeat_at=timezone.now())
    presence.refresh_from_db()
    return presence


def capacity_claim(*, user_id: int) -> bool:
    """Take one slot; True only when a slot was free. Relative and conditional: two racing
    claims can never both take the last slot (RELIABILITY finding 0.1)."""
    return (
        Presence.objects.filter(user_id=user_id, active__lt=F("capacity")).update(
            active=F("active") + 1, last_assigned_at=timezone.now(), missed_offers=0
        )
        == 1
    )


def capacity_release(*, user_id: int) -> None:
    Presence.objects.filter(user_id=user_id, active__gt=0).update(active=F("active") - 1)


def presences_expire_stale() -> int:
    """Online experts whose console stopped sending heartbeats are set away (and told why)."""
    from routing.models import HEARTBEAT_FRESH

    cutoff = timezone.now() - HEARTBEAT_FRESH
    return Presence.objects.filter(
        status=Presence.Status.ONLINE, last_heartbeat_at__lt=cutoff
    ).update(
        status=Presence.Status.AWAY,
        status_reason="Your console stopped checking in (closed tab or lost connection), "
        "so we set you away. Go online again when you are back.",
    )
