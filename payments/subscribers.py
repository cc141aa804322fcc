"""Domain events payments reacts to (registered in PaymentsConfig.ready()).

Each runs inside the outbox's delivery transaction (with its EventDelivery claim), so the
services it calls use plain atomic blocks, never durable ones.
"""

from __future__ import annotations

from gigcx.events import subscribe
from gigcx.models import DomainEvent


@subscribe("question.resolved", name="payments.book_earning")
def book_earning(event: DomainEvent) -> None:
    """Book the question's earning, and in the same transaction those of other resolutions
    waiting for payments (a burst of resolutions costs one transaction per batch, not one
    each; ``payments/services/earnings_batch.py``)."""
    from payments.services import earnings_book_resolved
    from payments.services.earnings import earning_surge_bonus_book

    question_id = int(event.payload["question_id"])
    expert_id = event.payload.get("expert_id")
    earnings_book_resolved(question_id=question_id, expert_id=int(expert_id) if expert_id else None)
    # Resolved during a staffing surge by an expert invited to it: the surge bonus, once.
    earning_surge_bonus_book(question_id=question_id)


@subscribe("question.rated", name="payments.apply_rating")
def apply_rating(event: DomainEvent) -> None:
    """Quality records ``question.rated`` (``{question_id, rating, ...}``) when the asker rates
    a resolved question; the bonus and the low-rating hold apply from here."""
    from payments.services import earning_apply_rating

    earning_apply_rating(
        question_id=int(event.payload["question_id"]), rating=int(event.payload["rating"])
    )
