"""Triage: what the text says, and whether the AI line or a person answers first.

Runs as a task after the question commits. Every decision is stored on the question
(``Question.triage``) with its inputs, so it can be audited and retrained.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gigcx.db import retry_on_conflict
from gigcx.faults import failpoint
from routing import system_texts, text
from routing.models import Message, Question, RoutingSettings
from routing.selectors import routing_settings_for
from routing.services.knowledge import AnswerDecision, answer_decide, auto_answer_post
from routing.services.offers import _locked_question
from routing.services.questions import question_queue_locked, question_send_to_experts
from routing.services.surges import known_issue_for

logger = logging.getLogger(__name__)

# Urgent questions jump the queue (priority 1); upset customers (the frustration model's
# threshold, chosen on GoEmotions dev) go straight to a person and first in line (priority 2).
URGENT = 0.6


def redact_for_experts(body: str) -> str:
    return text.redact(body).text


def text_vector(redacted: str, backend: str) -> tuple[bytes, str]:
    """The redacted text's embedding as stored on the question, and its backend: computed
    here once, so the knowledge base's "gaps" page groups questions without running the
    model for each of them. Nothing with TF-IDF, or when the model cannot load."""
    from routing.text.clusters import vector_bytes
    from routing.text.embeddings import EmbeddingsUnavailable, embed

    if backend not in ("onnx", "torch") or not redacted.strip():
        return b"", ""
    try:
        return vector_bytes(embed([redacted], backend=backend)[0]), backend
    except EmbeddingsUnavailable:
        return b"", ""


@retry_on_conflict
def question_triage(*, question_id: int) -> Question | None:
    """Analyse a new question and send it down the AI or the human path. Idempotent: a
    question that is no longer new is left alone."""
    question = Question.objects.select_related("brand", "product").filter(pk=question_id).first()
    if question is None or question.status != Question.Status.NEW:
        return question
    # Count the run before doing the work, in its own commit: a run that kills its worker
    # still counts, so a question that always does cannot loop for ever.
    Question.objects.filter(pk=question.pk, status=Question.Status.NEW).update(
        triage_attempts=F("triage_attempts") + 1
    )
    if question.triage_attempts + 1 > settings.GIGCX_TRIAGE_MAX_ATTEMPTS:
        logger.error(
            "question %s: triage did not finish in %d runs; sending it to people unanalysed",
            question.pk,
            question.triage_attempts,
        )
        return _to_experts_and_route(question, reason=system_texts.FINDING_EXPERT)
    brand = question.brand
    languages = list(brand.languages or ["en"])
    redaction = text.redact(question.body)
    language, language_confidence = text.detect_language(question.body, languages)
    # The customer opted out of tone analysis: the classifier is not even called, nothing of
    # her mood is stored, and routing runs on its defaults (no upset or urgency boost).
    mood = text.frustration(question.body) if question.tone_analysis else None
    product_id = question.product_id
    product_confidence = 1.0 if product_id else 0.0
    if product_id is None:
        catalogue = list(brand.products.filter(is_archived=False).values_list("pk", "name", "sku"))
        product_id, product_confidence = text.guess_product(question.body, catalogue)

    upset = mood is not None and mood.score >= text.frustration_threshold()
    urgent = mood is not None and mood.urgency >= URGENT
    answer = answer_decide(question=question, upset=upset)
    # A known-issue notice on the product answers first (labelled, a person one click away),
    # unless the customer asked for a person or is upset.
    notice = None
    if question.preference != Question.Preference.EXPERT and not upset:
        notice = known_issue_for(product_id=product_id)
    if notice is not None:
        answer = AnswerDecision(
            notice.entry_id, None, None, answer.threshold, answer.backend, answer=True
        )
    ai_first = answer.answer
    vector, vector_backend = text_vector(redaction.text, answer.backend)
    decision = {
        "language": language,
        "language_confidence": round(language_confidence, 3),
        "tone_analysis": mood is not None,
        "frustration": round(mood.score, 3) if mood is not None else None,
        "urgency": round(mood.urgency, 3) if mood is not None else None,
        "signals": mood.signals if mood is not None else [],
        "pii": redaction.kinds,
        "product_id": product_id,
        "product_confidence": round(product_confidence, 3),
        "knowledge_entry_id": answer.entry_id,
        "knowledge_score": round(answer.score, 3) if answer.score is not None else None,
        "knowledge_confidence": answer.confidence,
        "answer_threshold": answer.threshold,
        "text_backend": answer.backend,
        "path": "ai" if ai_first else "human",
        "known_issue_id": notice.pk if notice is not None else None,
    }
    failpoint("triage.analysed", question.pk)
    with transaction.atomic():
        locked = _locked_question(question.pk)
        if locked is None or locked.status != Question.Status.NEW:
            return locked
        locked.redacted_body = redaction.text
        locked.language = language or languages[0]
        locked.frustration = mood.score if mood is not None else None
        locked.urgency = mood.urgency if mood is not None else None
        locked.priority = 2 if upset else 1 if urgent else 0
        locked.triage = decision
        locked.text_vector = vector
        locked.text_vector_backend = vector_backend
        if locked.product_id is None and product_id is not None:
            locked.product_id = product_id
        Message.objects.filter(question=locked, role=Message.Role.CUSTOMER).update(
            redacted_body=redaction.text
        )
        if ai_first:
            locked.save(update_fields=ANALYSIS_FIELDS)
            failpoint("triage.write", question.pk)  # written, lock held, not yet committed
            auto_answer_post(question=locked, decision=answer, known_issue=notice)
            locked.status = Question.Status.AI_ANSWERED
            locked.save(update_fields=["status"])
            return locked
        # In the same transaction as the decision, and the same UPDATE: leaving `new` is the
        # claim. Committed apart, a redelivered copy waiting on the lock would find it still
        # `new` and triage it a second time.
        routing = routing_settings_for(locked.brand_id)
        question_queue_locked(
            locked, settings=routing, route_after_commit=False, also_save=ANALYSIS_FIELDS
        )
        failpoint("triage.write", question.pk)  # written, lock held, not yet committed
        # The first routing decision, in the same transaction: one commit for the question.
        _first_decision(locked, routing)
    logger.info(
        "question %s triaged: path=human frustration=%s",
        question.pk,
        f"{mood.score:.2f}" if mood is not None else "not analysed",
    )
    return locked


# What triage writes on the question.
ANALYSIS_FIELDS = [
    "redacted_body",
    "language",
    "frustration",
    "urgency",
    "priority",
    "triage",
    "text_vector",
    "text_vector_backend",
    "product",
]


def _first_decision(question: Question, settings: RoutingSettings) -> None:
    """Route the locked, just queued question inside triage's transaction. The decision
    runs under a savepoint: if it fails, only it rolls back; the triage commits, the
    question waits and the sweeper routes it."""
    from routing.services.offers import routing_offer_locked

    try:
        with transaction.atomic():
            routing_offer_locked(question, settings=settings)
    except Exception:
        logger.exception(
            "question %s: first routing decision failed; it waits for the sweeper", question.pk
        )
        question.refresh_from_db()


def _to_experts_and_route(question: Question, reason: str = "") -> Question:
    """Queue the question for people and make the first routing decision."""
    waiting = question_send_to_experts(question=question, reason=reason, route_after_commit=False)
    return _route_now(waiting)


def _route_now(waiting: Question) -> Question:
    """Make the first routing decision here, in the triage task: one task per question on
    the hot path, not two. If routing fails, the question is already waiting and the
    sweeper routes it."""
    from routing.services.offers import routing_offer_question

    if waiting.status == Question.Status.WAITING:
        routing_offer_question(question_id=waiting.pk)
        waiting.refresh_from_db()
    return waiting


def questions_triage_overdue(*, limit: int = 20) -> int:
    """Triage questions still ``new`` past their deadline: their task was lost (a worker
    killed mid-triage, a broker restarted or flushed). Oldest first; a failure is logged and
    the question stays for the next sweep (its attempts count, so it cannot loop for ever).
    Returns how many left ``new``."""
    cutoff = timezone.now() - timedelta(seconds=settings.GIGCX_TRIAGE_DEADLINE_SECONDS)
    overdue = list(
        Question.objects.filter(status=Question.Status.NEW, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    moved = 0
    for question_id in overdue:
        logger.warning("question %s: still new past its triage deadline, triaging now", question_id)
        try:
            question = question_triage(question_id=question_id)
        except Exception:
            logger.exception("question %s: triage from the sweeper failed", question_id)
            continue
        moved += bool(question and question.status != Question.Status.NEW)
    return moved
