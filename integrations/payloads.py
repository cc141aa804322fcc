"""What a webhook says about an event: ids, statuses, times and the question's redacted text.

A brand's endpoint is a system outside its staff (a CRM, a data warehouse, a contractor's
tool), so a payload carries what experts are shown: the question as redacted for experts
(``Question.expert_text``: emails, phone numbers, card numbers and the like masked), never the
customer's own words, her email or her name. The envelope follows Standard Webhooks:
``{"type", "timestamp", "data"}``.
"""

from __future__ import annotations

from typing import Any

from gigcx.models import DomainEvent
from payments.models import Payout
from routing.models import Question

# Which keys of the outbox payload each event may pass on (ids and scalars only).
EXTRA_KEYS: dict[str, tuple[str, ...]] = {
    "question.asked": (),
    "question.offered": ("expert_ids", "step"),
    "question.accepted": ("expert_id", "assignment_id"),
    "question.resolved": ("expert_id",),
    "question.rated": ("rating", "solved", "expert_id", "rating_id"),
    "question.escalated": ("reason",),
    "payout.paid": (),
    "payout.failed": (),
}


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def question_data(question: Question) -> dict[str, Any]:
    return {
        "id": question.pk,
        "brand": question.brand.slug,
        "product_id": question.product_id,
        "status": question.status,
        "text": question.expert_text,
        "created_at": _when(question.created_at),
        "resolved_at": _when(question.resolved_at),
    }


def payout_data(payout: Payout) -> dict[str, Any]:
    return {
        "id": payout.pk,
        "brand": payout.brand.slug,
        "expert_id": payout.expert_id,
        "amount": payout.amount,
        "currency": payout.currency,
        "provider": payout.provider,
        "status": payout.status,
        "failure_reason": payout.failure_reason,
        "created_at": _when(payout.created_at),
        "completed_at": _when(payout.completed_at),
    }


def payload_for(event: DomainEvent) -> dict[str, Any] | None:
    """The message for ``event``, or None when its row is gone."""
    extra = {key: event.payload[key] for key in EXTRA_KEYS[event.name] if key in event.payload}
    if event.name.startswith("payout."):
        payout = (
            Payout.objects.select_related("brand").filter(pk=event.payload["payout_id"]).first()
        )
        if payout is None:
            return None
        data = {"payout": payout_data(payout), **extra}
    else:
        question = (
            Question.objects.select_related("brand").filter(pk=event.payload["question_id"]).first()
        )
        if question is None:
            return None
        data = {"question": question_data(question), **extra}
    return {"type": event.name, "timestamp": _when(event.created_at), "data": data}
