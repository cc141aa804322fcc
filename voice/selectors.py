"""Voice reads."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from gigcx.tenancy import Viewer
from voice.models import Call, CallbackSlot, CallOffer


def ice_servers() -> list[dict[str, Any]]:
    """The STUN/TURN servers the browsers use (``GIGCX_VOICE_ICE_SERVERS``)."""
    return list(settings.GIGCX_VOICE_ICE_SERVERS)


def call_latest_for_question(*, viewer: Viewer, question_id: int) -> Call | None:
    """The question's newest call the viewer may see (live first)."""
    return (
        Call.objects.visible_to(viewer)
        .filter(question_id=question_id)
        .select_related("expert__user__expert_profile", "customer")
        .order_by("-requested_at", "-pk")
        .first()
    )


def callback_pending_for_question(*, viewer: Viewer, question_id: int) -> CallbackSlot | None:
    return (
        CallbackSlot.objects.visible_to(viewer)
        .filter(question_id=question_id, status__in=["open", "taken"])
        .select_related("expert__user__expert_profile")
        .first()
    )


def call_offers_ringing(*, viewer: Viewer) -> QuerySet[CallOffer]:
    """Calls ringing for the viewer (an expert) now."""
    from django.utils import timezone

    return (
        CallOffer.objects.visible_to(viewer)
        .filter(
            expert__user_id=viewer.user_id,
            status=CallOffer.Status.OFFERED,
            expires_at__gt=timezone.now(),
            call__status=Call.Status.OFFERED,
        )
        .select_related("call__customer", "call__question__product")
        .order_by("offered_at")
    )
