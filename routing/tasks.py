"""Routing tasks: thin, idempotent, ids only (STYLE 16-20)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from celery import shared_task
from celery.signals import worker_process_init
from django.core.cache import cache
from django.db import OperationalError, transaction
from django.utils import timezone

from gigcx.dispatch import enqueue
from gigcx.locks import exclusive
from routing.models import Assignment, Question

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _load_text_models(**_: object) -> None:
    """Load the sentence-embedding model when each worker process starts, not on its first
    question (which would then wait for it)."""
    text_models_load()


def text_models_load() -> None:
    """Load the text model and index the busiest knowledge bases now. Never raises: without
    the runtime the knowledge base uses TF-IDF, and the choice is logged."""
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
def triage_question(question_id: int, asked_event_id: str | None = None) -> None:
    """Analyse a new question and send it to the AI line or the expert queue. Safe twice:
    a question that is no longer new is left alone.

    ``asked_event_id``: the question's ``question.asked`` outbox event, delivered here first
    rather than by a ``gigcx.deliver_event`` task of its own, so that asking publishes one
    message instead of two. Delivery is idempotent and the outbox keeps its guarantee: an
    event this task never delivers (message lost, worker crashed, a subscriber failed) is
    still undelivered in the table, and ``gigcx.sweep_outbox`` delivers it after 30 s.
    """
    from gigcx.events import event_deliver
    from routing.triage import question_triage

    if asked_event_id is not None:
        try:
            event_deliver(event_id=asked_event_id)
        except Exception:
            # Triage must not wait for the event: the sweeper delivers it again.
            logger.exception("event %s not delivered before triage", asked_event_id)
    question_triage(question_id=question_id)


@shared_task(name="routing.send_question_link")
def send_question_link(question_id: int, sealed_token: str, language: str) -> None:
    """Mail an anonymous asker the private link to her conversation, off the request's path.
    The token is sealed (routing.notifications.question_link_seal), never plain in the
    broker."""
    from routing.notifications import question_link_send_sealed

    question_link_send_sealed(question_id=question_id, sealed_token=sealed_token, language=language)


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


@shared_task(name="routing.send_offer_email")
def send_offer_email(assignment_id: int) -> None:
    """Email an opted-in expert about one offer. Safe twice: the offer row is claimed before
    sending, so a redelivery sends nothing (routing.services.offer_emails)."""
    from routing.services.offer_emails import offer_email_send

    offer_email_send(assignment_id=assignment_id)


@shared_task(name="routing.route_waiting")
def route_waiting(limit: int = 50, guard: bool = False) -> int:
    """Capacity freed somewhere: route waiting questions, highest priority and oldest first.
    ``guard``: only the sweep (one at a time, under its lock) keeps the crash mark."""
    from routing.services import routing_offer_question

    # Capacity freed from now on asks for another run; what freed it before is seen below.
    _forget_pending_route_waiting()
    ids = list(Question.objects.waiting().queue_order().values_list("pk", flat=True)[:limit])

    def route(question_id: int) -> int:
        return bool(routing_offer_question(question_id=question_id))

    return sum(_each(ids, route, "route", guard=guard))


# Every resolve, release, escalation and going online asks to route the waiting questions.
# One queued run serves them all: under load, a run per event piles up work that the first
# run already did (a soak on a starved machine queued 400 of them). The key lives while a
# run is queued; the run clears it as it starts. A lost run only delays routing until the
# key expires or the sweep (every 5 s) routes waiting questions itself.
ROUTE_WAITING_PENDING_KEY = "routing.route_waiting.pending"
ROUTE_WAITING_PENDING_SECONDS = 30


def route_waiting_soon() -> None:
    """After the surrounding transaction commits, make sure one route_waiting run is queued."""
    transaction.on_commit(_publish_route_waiting)


def _publish_route_waiting() -> None:
    try:
        first = cache.add(ROUTE_WAITING_PENDING_KEY, 1, timeout=ROUTE_WAITING_PENDING_SECONDS)
    except Exception:  # the cache is down: publish every time rather than never
        first = True
    if first and not enqueue(route_waiting):
        _forget_pending_route_waiting()


def _forget_pending_route_waiting() -> None:
    with contextlib.suppress(Exception):
        cache.delete(ROUTE_WAITING_PENDING_KEY)


# The question the sweeper is working on, kept while it works on it. If the process dies
# there (out of memory, a crash in native code), the next sweep finds the mark. A process
# can die for reasons of its own (a deploy, the OOM killer picking it), so the first time
# the question is only remembered as a suspect; dying on the same question twice sends it
# to the brand's staff instead of killing every sweep after it, which would stop offer
# deadlines and routing for everyone.
INFLIGHT_KEY = "routing.sweep.inflight"
SUSPECT_KEY = "routing.sweep.suspect"


def _mark(value: str | None) -> None:
    try:
        if value is None:
            cache.delete(INFLIGHT_KEY)
        else:
            cache.set(INFLIGHT_KEY, value, timeout=3600)
    except Exception:  # the cache is down: sweep without the guard rather than not at all
        logger.warning("sweep: cache unavailable, no crash guard this run")


def _each(
    ids: list[int], action: Callable[[int], int], what: str, *, guard: bool = True
) -> list[int]:
    """Run ``action`` for each question id; one that raises is logged and skipped, so the
    rest still runs. With ``guard`` (the sweep only) the question in hand is marked."""
    results = []
    for question_id in ids:
        if guard:
            _mark(f"{what}:{question_id}")
        try:
            results.append(action(question_id))
        except Exception:
            logger.exception("sweep: %s of question %s failed; continuing", what, question_id)
        finally:
            if guard:
                _mark(None)
    return results


def _escalate_crashed() -> int:
    """The previous sweep died while working on a question: the second time that happens
    on the same question, it goes to people."""
    from routing import system_texts
    from routing.services.offers import _locked_question, question_escalate_locked

    try:
        inflight = cache.get(INFLIGHT_KEY)
        if not inflight:
            return 0
        suspect = cache.get(SUSPECT_KEY)
        cache.delete(INFLIGHT_KEY)
        if suspect != inflight:
            cache.set(SUSPECT_KEY, inflight, timeout=3600)
    except Exception:
        return 0
    what, _, question_id = str(inflight).partition(":")
    if suspect != inflight:
        logger.error("sweep: the last sweep died during %s of question %s", what, question_id)
        return 0
    logger.error(
        "sweep: two sweeps died during %s of question %s; sending it to staff", what, question_id
    )
    with transaction.atomic():
        question = _locked_question(int(question_id))
        if question is None or not question.is_open or question.status == "escalated":
            return 0
        question_escalate_locked(
            question,
            reason=system_texts.escalation_crashed(what),
        )
    return 1


@shared_task(name="routing.sweep")
def sweep() -> dict[str, int]:
    """Beat, every few seconds: every state's deadline lives in the database and is enforced
    here, so nothing depends on a task surviving in the broker. Triage questions still
    ``new`` past their deadline (their task was lost with a worker or a broker), expire
    overdue offers, set experts with stale heartbeats or ended windows away, and route
    waiting questions (which also widens and escalates by time). One sweep at a time across
    machines; a question that fails is skipped, one that killed the last sweep goes to
    staff."""
    from routing.services import offers_expire_for_question
    from routing.services.presence import presences_close_windows, presences_expire_stale
    from routing.triage import questions_triage_overdue

    with exclusive("routing.sweep") as held:
        if not held:
            return {"skipped": 1}
        crashed = _escalate_crashed()
        # Triage has its own budget (Question.triage_attempts counts runs that never ended).
        triaged = questions_triage_overdue()
        due = list(
            Assignment.objects.filter(
                status=Assignment.Status.OFFERED, expires_at__lte=timezone.now()
            )
            .values_list("question_id", flat=True)
            .distinct()[:200]
        )
        expired = sum(_each(due, lambda qid: offers_expire_for_question(question_id=qid), "expiry"))
        stale = presences_expire_stale() + presences_close_windows()
        routed = route_waiting(limit=100, guard=True)
        outcome = {
            "triaged": triaged,
            "expired": expired,
            "away": stale,
            "routed": routed,
            "escalated after a crash": crashed,
        }
        if any(outcome.values()):
            logger.info("sweep: %s", ", ".join(f"{k} {v}" for k, v in outcome.items() if v))
        return outcome


@shared_task(name="routing.detect_surges")
def detect_surges() -> int:
    """Look for surges of one problem on every busy product (beat, every few minutes; one
    run at a time). Safe to run twice: a surge already raised only takes its questions."""
    from routing.services.surges import surges_detect_all

    with exclusive("routing.detect_surges") as held:
        if not held:
            return 0
        return surges_detect_all()


@shared_task(name="routing.watch_staffing")
def watch_staffing() -> int:
    """Compare each brand's waiting queue with its online experts' free slots and invite
    the opted-in experts when it has outgrown them for long enough (beat, every minute; one
    run at a time). Safe to run twice: a surge invites once."""
    from routing.services.staffing import staffing_watch_all

    with exclusive("routing.watch_staffing") as held:
        if not held:
            return 0
        return staffing_watch_all()
