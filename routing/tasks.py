"""Routing tasks: thin, idempotent, ids only (STYLE 16-20)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.signals import worker_process_init
from django.db import OperationalError
from django.utils import timezone

from gigcx.locks import exclusive
from routing.models import Assignment, Question

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _load_text_models(**_: object) -> None:
    """Load the sentence-embedding model when each worker process starts, not on its first
    question (which would then wait for it). Never stops a worker: without the runtime the
    knowledge base uses TF-IDF, and the choice is logged."""
    from routing.services.knowledge import knowledge_indexes_warm_up
    from routing.text.embeddings import warm_up

    started = time.perf_counter()
    try:
        backend = warm_up()
        brands = knowledge_indexes_warm_up()
    except Exception:
        logger.exception("text models did not load at worker start; loading on first use")
        return
    logger.info(
        "text backend %s ready in %.2f s (%d knowledge bases indexed)",
        backend,
        time.perf_counter() - started,
        brands,
    )


@shared_task(
    name="routing.triage_question",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def triage_question(question_id: int) -> None:
    """Analyse a new question and send it to the AI line or the expert queue. Safe twice:
    a question that is no longer new is left alone."""
    from routing.triage import question_triage

    question_triage(question_id=question_id)


@shared_task(
    name="routing.route_question",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def route_question(question_id: int) -> None:
    """Offer a waiting question to the best available expert. Does nothing unless it waits."""
    from routing.services import routing_offer_question

    routing_offer_question(question_id=question_id)


@shared_task(name="routing.route_waiting")
def route_waiting(limit: int = 50) -> int:
    """Capacity freed somewhere: route waiting questions, highest priority and oldest first."""
    from routing.services import routing_offer_question

    routed = 0
    for question_id in (
        Question.objects.waiting().queue_order().values_list("pk", flat=True)[:limit]
    ):
        routed += bool(routing_offer_question(question_id=question_id))
    return routed


@shared_task(name="routing.sweep")
def sweep() -> dict[str, int]:
    """Beat, every few seconds: every state's deadline lives in the database and is enforced
    here, so nothing depends on a task surviving in the broker. Triage questions still
    ``new`` past their deadline (their task was lost with a worker or a broker), expire
    overdue offers, set experts with stale heartbeats away, and route waiting questions
    (which also widens and escalates by time). One sweep at a time across machines."""
    from routing.services import offers_expire_for_question
    from routing.services.presence import presences_expire_stale
    from routing.triage import questions_triage_overdue

    with exclusive("routing.sweep") as held:
        if not held:
            return {"skipped": 1}
        triaged = questions_triage_overdue()
        due = (
            Assignment.objects.filter(
                status=Assignment.Status.OFFERED, expires_at__lte=timezone.now()
            )
            .values_list("question_id", flat=True)
            .distinct()[:200]
        )
        expired = sum(offers_expire_for_question(question_id=qid) for qid in list(due))
        stale = presences_expire_stale()
        routed = route_waiting(limit=100)
        outcome = {"triaged": triaged, "expired": expired, "away": stale, "routed": routed}
        if any(outcome.values()):
            logger.info("sweep: %s", ", ".join(f"{k} {v}" for k, v in outcome.items() if v))
        return outcome
