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


def question_visible(*, viewer: Viewer, question_id: int) -> bool:
    from routing.models import Question

    return Question.objects.visible_to(viewer).filter(pk=question_id).exists()


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


def callbacks_for_expert(*, viewer: Viewer) -> QuerySet[CallbackSlot]:
    """Open callbacks of the viewer's brands she could take, and the ones she took, from an
    hour ago on (soonest first)."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    return (
        CallbackSlot.objects.visible_to(viewer)
        .filter(
            Q(status=CallbackSlot.Status.OPEN) | Q(expert__user_id=viewer.user_id),
            status__in=[CallbackSlot.Status.OPEN, CallbackSlot.Status.TAKEN],
            starts_at__gte=timezone.now() - timedelta(hours=1),
        )
        .select_related("question__product", "customer", "expert")
        .order_by("starts_at", "pk")
    )
