"""QA reviews: the queue is sampled from resolved conversations (every low rating, every
large sentiment drop, plus a brand-set random share); reviewers score four criteria; the
expert sees the result."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.dispatch import enqueue_on_commit
from gigcx.exceptions import ApplicationError, ConflictError
from marketplace.models import Brand
from quality.models import REVIEW_CRITERIA, QualitySettings, Review
from quality.sentiment import lift_steps
from routing.models import Question

# Every rating of this or less is reviewed.
LOW_REVIEW_RATING = 2
# Every conversation whose customer ended at least this much more frustrated than she
# started (a sentiment lift of -0.3 or less on the 0..1 frustration scale) is reviewed.
DROP_REVIEW_LIFT = -0.3
COMMENT_MAX = 4000


def quality_settings_for(brand_id: int) -> QualitySettings:
    settings, _ = QualitySettings.objects.get_or_create(brand_id=brand_id)
    return settings


def is_sampled(question_id: int, percent: int) -> bool:
    """A stable draw per question: redelivering the event draws the same way."""
    draw = int(hashlib.sha256(f"review:{question_id}".encode()).hexdigest()[:8], 16) % 100
    return draw < percent


def question_lift(question_id: int) -> tuple[int, float | None] | None:
    """The question's brand and sentiment lift (quality.sentiment), or None if it is gone."""
    first, second = lift_steps("pk")
    row = (
        Question.objects.filter(pk=question_id)
        .annotate(**first)
        .annotate(**second)
        .values_list("brand_id", "lift")
        .first()
    )
    return None if row is None else (row[0], row[1])


def review_sample(*, question_id: int, expert_id: int | None) -> Review | None:
    """After resolution: queue the conversation for review when the customer left much more
    upset than she came (DROP_REVIEW_LIFT), or when the random share picks it. Idempotent
    (one review per question; the random draw is stable)."""
    if expert_id is None:
        return None  # answered automatically or by staff: nobody's work to review
    found = question_lift(question_id)
    if found is None:
        return None
    brand_id, lift = found
    if lift is not None and lift <= DROP_REVIEW_LIFT:
        reason = Review.Reason.SENTIMENT_DROP
    elif is_sampled(question_id, quality_settings_for(brand_id).review_sample_percent):
        reason = Review.Reason.RANDOM
    else:
        return None
    review, _ = Review.objects.get_or_create(
        question_id=question_id,
        defaults={
            "brand_id": brand_id,
            "expert_id": expert_id,
            "reason": reason,
            "sentiment_lift": lift,
        },
    )
    return review


def review_enqueue_low_rating(*, question_id: int, expert_id: int | None, rating: int) -> Any:
    """After a rating: every rating of LOW_REVIEW_RATING or less is reviewed."""
    if expert_id is None or rating > LOW_REVIEW_RATING:
        return None
    found = question_lift(question_id)
    if found is None:
        return None
    review, created = Review.objects.get_or_create(
        question_id=question_id,
        defaults={
            "brand_id": found[0],
            "expert_id": expert_id,
            "reason": Review.Reason.LOW_RATING,
            "sentiment_lift": found[1],
        },
    )
    if not created and review.status == Review.Status.PENDING:
        Review.objects.filter(pk=review.pk).update(reason=Review.Reason.LOW_RATING)
    return review


def review_validate(scores: dict[str, Any], comment: str) -> tuple[dict[str, int], str]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for name in REVIEW_CRITERIA:
        value = scores.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = [gettext("Score from 1 (poor) to 5 (excellent).")]
        else:
            clean[name] = value
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [
            gettext("Keep it under %(count)s characters.") % {"count": COMMENT_MAX}
        ]
    if errors:
        raise ApplicationError(
            gettext("The review could not be saved; see the fields."), fields=errors
        )
    return clean, comment


def review_submit(*, review: Review, reviewer: Any, comment: str = "", **scores: Any) -> Review:
    """Score a pending review, once. The expert's score is recomputed after commit."""
    clean, comment = review_validate(scores, comment)
    with transaction.atomic():
        now = timezone.now()
        claimed = Review.objects.filter(pk=review.pk, status=Review.Status.PENDING).update(
            status=Review.Status.DONE,
            reviewer=reviewer if getattr(reviewer, "pk", None) else None,
            comment=comment,
            average=sum(clean.values()) / len(clean),
            reviewed_at=now,
            **clean,
        )
        if not claimed:
            raise ConflictError(
                gettext("This conversation has already been reviewed."), code="reviewed"
            )
        audit_record(
            actor=reviewer,
            action="review.done",
            target=review,
            brand_id=review.brand_id,
            data={"question_id": review.question_id, **clean},
        )
        if review.expert_id is not None:
            from quality.tasks import recompute_score

            enqueue_on_commit(recompute_score, review.expert_id)
    review.refresh_from_db()
    return review


def quality_settings_update(*, brand: Brand, actor: Any, review_sample_percent: Any) -> Any:
    if (
        isinstance(review_sample_percent, bool)
        or not isinstance(review_sample_percent, int)
        or not 0 <= review_sample_percent <= 100
    ):
        raise ApplicationError(
            gettext("The review share is out of range."),
            fields={"review_sample_percent": [gettext("A whole percentage from 0 to 100.")]},
        )
    with transaction.atomic():
        settings = quality_settings_for(brand.pk)
        before = settings.review_sample_percent
        settings.review_sample_percent = review_sample_percent
        settings.save(update_fields=["review_sample_percent"])
        audit_record(
            actor=actor,
            action="quality.settings_changed",
            target=settings,
            brand_id=brand.pk,
            data={
                "before": {"review_sample_percent": before},
                "after": {"review_sample_percent": review_sample_percent},
            },
        )
    return settings
