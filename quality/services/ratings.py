"""The customer rates a resolved question, and may reopen it when it is not solved."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.events import event_record
from gigcx.exceptions import ApplicationError, ConflictError, NotFoundError
from quality.models import SCORE_RANGE, Rating
from routing.models import Assignment, Message, Question
from routing.text import mask_cards
from routing.triage import redact_for_experts

COMMENT_MAX = 2000


def rating_validate(*, score: Any, comment: str) -> tuple[int, str]:
    """Check the score and the comment; ApplicationError (400) with field messages."""
    errors: dict[str, list[str]] = {}
    low, high = SCORE_RANGE
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        errors["score"] = [
            gettext("Rate from %(low)s (poor) to %(high)s (excellent).")
            % {"low": low, "high": high}
        ]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [
            gettext("Keep it under %(count)s characters.") % {"count": COMMENT_MAX}
        ]
    if errors:
        raise ApplicationError(
            gettext("The rating could not be saved; see the fields."), fields=errors
        )
    return score, comment


def rating_create(
    *, question: Question, score: Any, solved: bool, comment: str = "", actor: Any = None
) -> Rating:
    """Record the asker's rating of a resolved question (once) and the ``question.rated``
    event in the same transaction: payments books the bonus or holds the earning from it, and
    quality recomputes the expert's score.

    The caller has established that ``actor`` is the asker (signed in, or holding the
    private-link token).
    """
    score, comment = rating_validate(score=score, comment=comment)
    comment = mask_cards(comment)  # never store a full card number
    try:
        with transaction.atomic():
            locked = Question.objects.select_for_update().filter(pk=question.pk).first()
            if locked is None:
                raise NotFoundError(gettext("No such question."))
            if locked.status != Question.Status.RESOLVED:
                raise ConflictError(
                    gettext("You can rate the answer once the question is resolved."),
                    code="not_resolved",
                )
            if Rating.objects.filter(question=locked).exists():
                raise ConflictError(
                    gettext("You have already rated this question."), code="already_rated"
                )
            resolver = (
                Assignment.objects.filter(question=locked, status=Assignment.Status.RESOLVED)
                .order_by("-ended_at", "-pk")
                .first()
            )
            people_answered = (
                resolver is not None
                or locked.messages.filter(
                    role__in=[Message.Role.EXPERT, Message.Role.STAFF]
                ).exists()
            )
            rating = Rating.objects.create(
                question=locked,
                brand_id=locked.brand_id,
                expert_id=resolver.expert_id if resolver else None,
                score=score,
                solved=bool(solved),
                comment=comment,
                redacted_comment=redact_for_experts(comment) if comment else "",
                automated=not people_answered,
            )
            event_record(
                name="question.rated",
                brand_id=locked.brand_id,
                payload={
                    "question_id": locked.pk,
                    "rating": score,
                    "solved": bool(solved),
                    "expert_id": rating.expert_id,
                    "rating_id": rating.pk,
                },
            )
    except IntegrityError as exc:  # a concurrent rating of the same question committed first
        raise ConflictError(
            gettext("You have already rated this question."), code="already_rated"
        ) from exc
    return rating


def rating_reopen(*, question: Question, actor: Any = None, reason: str = "") -> Question:
    """The customer rated "not solved" and opens the question again: it goes back to its
    expert if she is online, otherwise it is routed again. Once per rating."""
    from routing.services import question_reopen

    with transaction.atomic():
        rating = Rating.objects.select_for_update().filter(question_id=question.pk).first()
        if rating is None or rating.solved:
            raise ConflictError(
                gettext("Only a question rated as not solved can be reopened."),
                code="not_reopenable",
            )
        if rating.reopened_at is not None:
            raise ConflictError(
                gettext("You have already reopened this question once."), code="reopened"
            )
        rating.reopened_at = timezone.now()
        rating.save(update_fields=["reopened_at"])
        reopened = question_reopen(question_id=question.pk, actor=actor, reason=reason)
        audit_record(
            actor=actor,
            action="rating.reopened",
            target=rating,
            brand_id=rating.brand_id,
            data={"question_id": question.pk},
        )
    return reopened
