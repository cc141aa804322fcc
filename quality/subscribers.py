"""Domain events quality reacts to (registered in QualityConfig.ready()).

Each runs inside the outbox's delivery transaction (with its EventDelivery claim), so the
services it calls use plain atomic blocks.
"""

from __future__ import annotations

from gigcx.events import subscribe
from gigcx.models import DomainEvent


@subscribe("question.rated", name="quality.recompute_score")
def recompute_score(event: DomainEvent) -> None:
    from quality.models import ExpertScore
    from quality.services import expert_score_recompute

    expert_id = event.payload.get("expert_id")
    if expert_id is not None:
        expert_score_recompute(expert_id=int(expert_id), trigger=ExpertScore.Trigger.RATING)


@subscribe("question.rated", name="quality.review_low_rating")
def review_low_rating(event: DomainEvent) -> None:
    from quality.services import review_enqueue_low_rating

    expert_id = event.payload.get("expert_id")
    review_enqueue_low_rating(
        question_id=int(event.payload["question_id"]),
        expert_id=None if expert_id is None else int(expert_id),
        rating=int(event.payload["rating"]),
    )


@subscribe("question.resolved", name="quality.review_sample")
def review_sample(event: DomainEvent) -> None:
    from quality.services import review_sample as sample

    expert_id = event.payload.get("expert_id")
    sample(
        question_id=int(event.payload["question_id"]),
        expert_id=None if expert_id is None else int(expert_id),
    )


@subscribe("question.resolved", name="quality.rating_request")
def rating_request(event: DomainEvent) -> None:
    """Ask the customer how it went, by email with a signed link to rate."""
    from quality.services.survey import rating_request_send

    rating_request_send(question_id=int(event.payload["question_id"]))
