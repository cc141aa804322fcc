"""The AI line: which knowledge entry answers a question, whether to say it, and what the
customers said about it.

Every automated answer is an ``AutoAnswer`` with its confidence and the threshold it met.
Outcomes ("helped", "didn't help", handed to a person) move two things:

- the entry's rank: its record (``KnowledgeEntry.rank_factor``) multiplies its confidence,
  so an entry that keeps failing sinks below the others and stops being quoted;
- the brand's threshold (``AnswerCalibration``): once ``MIN_OUTCOMES`` answers have an
  outcome, the lowest confidence at which the brand's answers reached its target precision
  (93 % by default) among at least ``MIN_ABOVE`` of them. Answers the customer asked for
  below the threshold ("AI first") are what lets the threshold come down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError, ConflictError, NotFoundError
from marketplace.models import Brand
from routing import system_texts, text
from routing.models import AnswerCalibration, AutoAnswer, KnowledgeEntry, Message, Question
from routing.text.knowledge import AUTO_ANSWER_THRESHOLDS, cached_index

logger = logging.getLogger(__name__)

MIN_OUTCOMES = 30
MIN_ABOVE = 10
RECENT_OUTCOMES = 500
# How many entries triage weighs before their records re-rank them.
CANDIDATES = 3


@dataclass(frozen=True)
class AnswerDecision:
    """What the AI line makes of one question (stored on ``Question.triage``)."""

    entry_id: int | None
    score: float | None
    confidence: float | None
    threshold: float
    backend: str
    answer: bool
    below_threshold: bool = False


def answer_threshold_for(*, brand_id: int, backend: str) -> float:
    """The brand's calibrated threshold for ``backend``, or the backend's default."""
    return _threshold(AnswerCalibration.objects.filter(brand_id=brand_id).first(), backend)


def _threshold(calibration: AnswerCalibration | None, backend: str) -> float:
    if calibration and calibration.threshold is not None and calibration.backend == backend:
        return calibration.threshold
    return AUTO_ANSWER_THRESHOLDS[backend]


def answer_decide(*, question: Question, upset: bool) -> AnswerDecision:
    """Find the best published entry for the question and decide whether the AI line
    answers. ``expert`` skips the bot; ``ai`` gets the best entry whatever its confidence
    (labelled as such) unless the customer is upset; ``auto`` answers at or above the
    brand's threshold. Reads only; the caller writes."""
    backend = _backend()
    calibration = AnswerCalibration.objects.filter(brand_id=question.brand_id).first()
    threshold = _threshold(calibration, backend)
    if question.preference == Question.Preference.EXPERT:
        return AnswerDecision(None, None, None, threshold, backend, answer=False)
    entries = _published(question.brand_id)
    # An entry about another product never answers; general entries always may.
    allowed = {pk for pk, *_, product_id in entries if product_id in (None, question.product_id)}
    if not allowed:
        return AnswerDecision(None, None, None, threshold, backend, answer=False)
    index = cached_index(_indexed(entries), backend=backend)
    backend = index.backend  # the model may have failed to load and fallen back
    threshold = _threshold(calibration, backend)
    matches = index.best(_query(question), k=CANDIDATES, only=allowed)
    if not matches:
        return AnswerDecision(None, None, None, threshold, backend, answer=False)
    records = KnowledgeEntry.objects.in_bulk([m.entry_id for m in matches])
    ranked = sorted(
        ((m.confidence * records[m.entry_id].rank_factor, m) for m in matches),
        key=lambda pair: -pair[0],
    )
    confidence, best = ranked[0]
    sure = confidence >= threshold
    # "AI first" gets the best entry whatever its confidence, labelled as such.
    wanted = question.preference == Question.Preference.AI
    answer = (wanted or sure) and not upset
    return AnswerDecision(
        best.entry_id,
        best.score,
        round(confidence, 4),
        threshold,
        backend,
        answer=answer,
        below_threshold=answer and not sure,
    )


def _published(brand_id: int) -> list[tuple[int, str, str, list[str], int | None]]:
    return list(
        KnowledgeEntry.objects.filter(brand_id=brand_id, is_published=True)
        .order_by("pk")
        .values_list("pk", "question", "answer", "phrasings", "product_id")
    )


def _indexed(
    entries: list[tuple[int, str, str, list[str], int | None]],
) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """The entries as the knowledge index reads them: question, answer and the other
    phrasings (a tuple, so the cached index of a knowledge-base version can be found)."""
    return [
        (pk, q, a, tuple(str(p) for p in phrasings or ())) for pk, q, a, phrasings, _ in entries
    ]


def knowledge_indexes_warm_up(*, brands: int = 16) -> int:
    """Get the brands with the most recent questions ready for their next one: their
    knowledge base embedded and their languages' detectors loaded (lingua loads a language
    model on first use, about half a second). Returns how many brands."""
    from routing.text.knowledge import CACHED_INDEXES

    sample = "How do I clean the shoes after a long walk in the mud?"
    # Django imports the URL configuration on the first reverse(): the answer's source link.
    reverse("routing:knowledge-entry", kwargs={"slug": "warm-up", "entry_id": 1})
    text.redact(sample)
    text.frustration(sample)
    recent = (
        Question.objects.order_by("-created_at")
        .values_list("brand_id", flat=True)
        .distinct()[: 10 * brands]
    )
    built = 0
    for brand in Brand.objects.filter(pk__in=list(dict.fromkeys(recent))[:brands]):
        text.detect_language(sample, list(brand.languages or ["en"]))
        entries = _published(brand.pk)
        if entries:
            cached_index(_indexed(entries))
            built += 1
        if built >= CACHED_INDEXES:
            break
    return built


def _backend() -> str:
    from routing.text.embeddings import text_backend

    return text_backend()


def _query(question: Question) -> str:
    """The question as the index reads it: the product the customer picked is what "them"
    and "it" refer to ("How do I clean them?" about the Trailblazer 2)."""
    if question.product_id is None:
        return question.body
    return f"{question.body} ({question.product.name})"


def entry_url(entry: KnowledgeEntry) -> str:
    path = reverse(
        "routing:knowledge-entry", kwargs={"slug": entry.brand.slug, "entry_id": entry.pk}
    )
    return settings.SITE_URL.rstrip("/") + path


def auto_answer_post(
    *, question: Question, decision: AnswerDecision, known_issue: Any = None
) -> AutoAnswer:
    """Post the automated answer in the conversation, naming its source with a link, and
    record it. Call inside the triage transaction with ``question`` locked. With
    ``known_issue`` (a published ``SurgeIncident``) the answer opens with its notice."""
    entry = KnowledgeEntry.objects.select_related("brand").get(pk=decision.entry_id)
    brand = entry.brand
    if entry.source == KnowledgeEntry.Source.FAQ:
        source = f"the {brand.name} FAQ"
    else:
        source = f"an approved expert answer at {brand.name}"
    opening = ""
    if known_issue is not None:
        opening = (
            f"Known issue with {known_issue.product.name}: {known_issue.headline}\n"
            "Many customers are asking about this right now. Here is what we know; if your "
            "question is about something else, a person is one click away.\n\n"
        )
    elif decision.below_threshold:
        opening = (
            f"You asked for an automated answer first. This is the closest one in {source}, "
            "but it may not fit your question; a person is one click away.\n\n"
        )
    Message.objects.create(
        question=question,
        role=Message.Role.AI,
        body=f'{opening}{entry.answer}\n\nAutomated answer from {source}: "{entry.question}" '
        f"{entry_url(entry)}",
    )
    KnowledgeEntry.objects.filter(pk=entry.pk).update(shown_count=F("shown_count") + 1)
    return AutoAnswer.objects.create(
        question=question,
        brand_id=question.brand_id,
        entry=entry,
        backend=decision.backend,
        score=decision.score or 0.0,
        confidence=decision.confidence or 0.0,
        threshold=decision.threshold,
        below_threshold=decision.below_threshold,
        known_issue=known_issue,
    )


COUNTERS = {
    AutoAnswer.Outcome.HELPED: "helped_count",
    AutoAnswer.Outcome.NOT_HELPED: "not_helped_count",
    AutoAnswer.Outcome.HANDED_OVER: "handed_over_count",
}


def auto_answer_feedback(*, question: Question, helped: bool) -> AutoAnswer:
    """The customer's "Did that help?". Recorded once; the same answer again is a no-op,
    a different one is a conflict. Moves the entry's record and the brand's threshold."""
    outcome = AutoAnswer.Outcome.HELPED if helped else AutoAnswer.Outcome.NOT_HELPED
    with transaction.atomic():
        answer = AutoAnswer.objects.select_for_update().filter(question=question).first()
        if answer is None:
            raise NotFoundError(gettext("This question has no automated answer."))
        if answer.outcome == outcome:
            return answer
        if answer.outcome != AutoAnswer.Outcome.PENDING:
            raise ConflictError(gettext("Your feedback on this answer is already recorded."))
        _decide(answer, outcome)
        if not helped:
            Message.objects.create(
                question=question,
                role=Message.Role.SYSTEM,
                body=system_texts.FEEDBACK_NOT_HELPED,
            )
    answer_threshold_calibrate(brand_id=question.brand_id)
    return answer


def auto_answer_handed_over(*, question: Question) -> None:
    """The customer went to a person after an automated answer. Counts on the entry's
    record; an answer with no feedback yet gets this as its outcome."""
    with transaction.atomic():
        answer = AutoAnswer.objects.select_for_update().filter(question=question).first()
        if answer is None:
            return
        if answer.outcome == AutoAnswer.Outcome.PENDING:
            _decide(answer, AutoAnswer.Outcome.HANDED_OVER)
            decided = True
        else:
            decided = False
            if answer.entry_id:
                KnowledgeEntry.objects.filter(pk=answer.entry_id).update(
                    handed_over_count=F("handed_over_count") + 1
                )
    if decided:
        answer_threshold_calibrate(brand_id=question.brand_id)


def _decide(answer: AutoAnswer, outcome: str) -> None:
    answer.outcome = outcome
    answer.decided_at = timezone.now()
    answer.save(update_fields=["outcome", "decided_at"])
    if answer.entry_id:
        counter = COUNTERS[outcome]
        KnowledgeEntry.objects.filter(pk=answer.entry_id).update(**{counter: F(counter) + 1})


def answer_threshold_calibrate(*, brand_id: int) -> AnswerCalibration:
    """Recompute the brand's threshold from its latest outcomes on the current backend.

    With fewer than ``MIN_OUTCOMES`` the backend's default stays. Otherwise: the lowest
    confidence ``t`` such that the answers at or above ``t`` (at least ``MIN_ABOVE``) helped
    at the target rate; if none did, just above the most confident answer, so the AI line
    stays quiet until entries improve (customers who ask for "AI first" still get them)."""
    backend = _backend()
    with transaction.atomic():
        calibration, _ = AnswerCalibration.objects.select_for_update().get_or_create(
            brand_id=brand_id
        )
        rows = list(
            AutoAnswer.objects.filter(brand_id=brand_id, backend=backend, known_issue=None)
            .exclude(outcome=AutoAnswer.Outcome.PENDING)
            .order_by("-created_at")
            .values_list("confidence", "outcome")[:RECENT_OUTCOMES]
        )
        calibration.backend = backend
        calibration.outcomes = len(rows)
        calibration.threshold = None
        calibration.precision = None
        if rows:
            calibration.precision = round(
                sum(outcome == AutoAnswer.Outcome.HELPED for _, outcome in rows) / len(rows), 4
            )
        if len(rows) >= MIN_OUTCOMES:
            calibration.threshold = _lowest_threshold(rows, calibration.target_precision)
        calibration.save()
    logger.info(
        "brand %s: auto-answer threshold %s from %d outcomes (%s)",
        brand_id,
        calibration.threshold,
        calibration.outcomes,
        backend,
    )
    return calibration


def _lowest_threshold(rows: list[tuple[float, str]], target: float) -> float:
    ordered = sorted(rows, key=lambda row: -row[0])
    helped = 0
    best = None
    for count, (confidence, outcome) in enumerate(ordered, start=1):
        helped += outcome == AutoAnswer.Outcome.HELPED
        last = count == len(ordered) or ordered[count][0] < confidence
        if count >= MIN_ABOVE and last and helped / count >= target:
            best = confidence
    if best is None:
        return round(ordered[0][0] + 0.01, 4)
    return round(best, 4)


def answer_target_set(*, brand: Brand, actor: Any, target_precision: float) -> AnswerCalibration:
    """Staff set the share of automated answers that must help (0.5 to 0.99)."""
    if not 0.5 <= float(target_precision) <= 0.99:
        raise ApplicationError(
            gettext("The target is a share between 0.5 and 0.99."),
            fields={"target_precision": ["Between 0.5 and 0.99."]},
        )
    with transaction.atomic():
        calibration, _ = AnswerCalibration.objects.get_or_create(brand=brand)
        before = calibration.target_precision
        calibration.target_precision = float(target_precision)
        calibration.save(update_fields=["target_precision", "updated_at"])
        audit_record(
            actor=actor,
            action="knowledge.target_changed",
            target=calibration,
            brand_id=brand.pk,
            data={"before": before, "after": float(target_precision)},
        )
    return answer_threshold_calibrate(brand_id=brand.pk)


def answer_calibration_summary(*, brand_id: int) -> dict[str, Any]:
    """What staff see of the AI line's threshold (a read; no row is created)."""
    backend = _backend()
    calibration = AnswerCalibration.objects.filter(brand_id=brand_id).first()
    default = AUTO_ANSWER_THRESHOLDS[backend]
    current = calibration is not None and calibration.backend == backend
    calibrated = current and calibration.threshold is not None  # type: ignore[union-attr]
    return {
        "backend": backend,
        "threshold": calibration.threshold if calibrated else default,  # type: ignore[union-attr]
        "default_threshold": default,
        "calibrated": calibrated,
        "outcomes": calibration.outcomes if current else 0,  # type: ignore[union-attr]
        "min_outcomes": MIN_OUTCOMES,
        "precision": calibration.precision if current else None,  # type: ignore[union-attr]
        "target_precision": calibration.target_precision if calibration else 0.93,
    }
