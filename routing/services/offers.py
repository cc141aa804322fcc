"""Offering questions to experts, and what experts do with offers.

Lock order, everywhere: the question row first, then the expert's presence row, then
assignment rows. Accepts, declines, the sweeper and resolution all follow it, so they queue
behind each other instead of deadlocking.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gigcx.audit import audit_record
from gigcx.db import retry_on_conflict
from gigcx.dispatch import enqueue_on_commit
from gigcx.events import event_record
from gigcx.exceptions import ConflictError, NotFoundError
from gigcx.faults import failpoint
from marketplace.models import Expert
from routing import scoring, system_texts
from routing.live import push_after_commit
from routing.models import Assignment, Message, Presence, Question, RoutingSettings
from routing.selectors import (
    Candidate,
    allowed_step,
    expert_candidates_for_question,
    routing_settings_for,
)
from routing.services.presence import capacity_claim, on_duty_sync

logger = logging.getLogger(__name__)


def _locked_question(question_id: int) -> Question | None:
    return (
        Question.objects.select_for_update(of=("self",))
        .select_related("brand", "product", "product__category")
        .filter(pk=question_id)
        .first()
    )


def offer_to_named_expert(
    question: Question,
    *,
    expert: Expert,
    step: int,
    reason: str,
    note: str,
    timeout_seconds: int,
    now: Any,
) -> Assignment:
    """Offer a locked question to one expert chosen by a rule rather than by scoring (back
    to the expert who resolved it, or the one staff named). Its breakdown holds the one
    reason; she is told live after commit and accepts it the normal way."""
    offer = Assignment.objects.create(
        question=question,
        expert=expert,
        step=step,
        score=0.0,
        breakdown={reason: {"value": None, "weight": 0.0, "points": 0.0, "note": note}},
        offered_at=now,
        expires_at=now + timedelta(seconds=timeout_seconds),
    )
    push_after_commit([expert.user_id], {"type": "offer.new", "question_id": question.pk})
    _offered_event(question, [offer], step)
    return offer


def _offered_event(question: Question, offers: list[Assignment], step: int) -> None:
    """``question.offered`` in the outbox, with the offers (brands' webhooks hear it)."""
    event_record(
        name="question.offered",
        brand_id=question.brand_id,
        payload={
            "question_id": question.pk,
            "expert_ids": [offer.expert_id for offer in offers],
            "step": step,
        },
    )


def question_escalate_locked(question: Question, *, reason: str, actor: Any = None) -> None:
    """Move a locked question to the brand staff queue and tell the staff (after commit)."""
    now = timezone.now()
    Assignment.objects.filter(question=question, status=Assignment.Status.OFFERED).update(
        status=Assignment.Status.WITHDRAWN, ended_at=now
    )
    question.status = Question.Status.ESCALATED
    question.escalation_reason = reason
    question.routing_step = 4
    question.save(update_fields=["status", "escalation_reason", "routing_step"])
    Message.objects.create(
        question=question,
        role=Message.Role.SYSTEM,
        body=system_texts.ESCALATED,
    )
    audit_record(
        actor=actor,
        action="question.escalated",
        target=question,
        brand_id=question.brand_id,
        reason=reason,
    )
    event_record(
        name="question.escalated",
        brand_id=question.brand_id,
        payload={"question_id": question.pk, "reason": reason},
    )
    staff_ids = question.brand.memberships.values_list("user_id", flat=True)
    push_after_commit(
        [*staff_ids, question.asked_by_id],
        {"type": "question.escalated", "question_id": question.pk},
    )


@retry_on_conflict
def routing_offer_question(*, question_id: int) -> list[Assignment]:
    """Offer a waiting question to the best available expert(s). Idempotent.

    Does nothing unless the question is waiting. Widens the candidate set with the time the
    question has waited; escalates after the last step, the SLA or the attempt limit.
    Returns the offers made (empty when nobody is free: the question keeps waiting and is
    routed again when capacity frees or by the sweeper).
    """
    with transaction.atomic():
        question = _locked_question(question_id)
        if question is None or question.status != Question.Status.WAITING:
            return []
        return routing_offer_locked(question)


def candidates_to_offer(
    candidates: list[Candidate], *, question: Question, settings: RoutingSettings
) -> list[scoring.Scored]:
    """The candidates an offer goes to, best first: ranked with the brand's weights and the
    question's frustration, one of them (or the broadcast size). Chat and calls share it."""
    from routing.text import frustration_threshold

    ranked = scoring.rank(
        [c.features for c in candidates],
        weights=settings.weights,
        frustration=question.frustration or 0.0,
        upset_at=frustration_threshold(),
    )
    size = settings.broadcast_size if settings.mode == settings.Mode.BROADCAST else 1
    return ranked[:size]


def routing_offer_locked(
    question: Question, *, settings: RoutingSettings | None = None
) -> list[Assignment]:
    """The routing decision of :func:`routing_offer_question` for a waiting question the
    caller has locked (``_locked_question``), in the caller's transaction: triage makes the
    first decision in its own transaction, and passes the brand's settings it already read."""
    failpoint("route.locked", question.pk)  # the routing decision, under the row lock
    if settings is None:
        settings = routing_settings_for(question.brand_id)
    now = timezone.now()
    step = allowed_step(question, settings, now)
    if question.product_id is None:
        step = max(step, 3)
    if question.sla_due_at is not None and now >= question.sla_due_at:
        question_escalate_locked(question, reason=system_texts.ESCALATION_SLA)
        return []
    if question.attempts >= settings.max_attempts:
        question_escalate_locked(question, reason=system_texts.ESCALATION_MAX_OFFERS)
        return []
    if step >= 4:
        question_escalate_locked(question, reason=system_texts.ESCALATION_NO_EXPERT)
        return []

    candidates = expert_candidates_for_question(
        question=question, step=step, settings=settings, now=now
    ) or expert_candidates_for_question(
        # Nobody new: experts who only let an earlier offer run out get another turn
        # before the widening clock sends the question to staff.
        question=question,
        step=step,
        settings=settings,
        now=now,
        second_round=True,
    )
    step_changed = question.routing_step != step
    question.routing_step = step
    if not candidates:
        if step_changed:
            question.save(update_fields=["routing_step"])
        return []
    ranked = candidates_to_offer(candidates, question=question, settings=settings)
    by_id = {c.expert.pk: c for c in candidates}
    expires = now + timedelta(seconds=settings.offer_timeout_seconds)
    offers = [
        Assignment(
            question=question,
            expert=by_id[scored.expert_id].expert,
            step=step,
            score=scored.score,
            breakdown=scored.breakdown,
            offered_at=now,
            expires_at=expires,
        )
        for scored in ranked
    ]
    # One INSERT for a broadcast's offers too (PostgreSQL and SQLite return their ids).
    offers = Assignment.objects.bulk_create(offers)
    # The row is locked: the count in hand is the count in the database.
    question.status = Question.Status.OFFERED
    question.attempts += 1
    question.save(
        update_fields=["status", "attempts", "routing_step"]
        if step_changed
        else ["status", "attempts"]
    )
    push_after_commit(
        [by_id[o.expert_id].expert.user_id for o in offers],
        {"type": "offer.new", "question_id": question.pk},
    )
    _offered_event(question, offers, step)
    return offers


def _assignment_of(user: Any, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(pk=assignment_id, expert__user_id=user.pk)
        .select_related("expert")
        .first()
    )
    if assignment is None:
        raise NotFoundError(_("No such offer."))
    return assignment


@retry_on_conflict
def assignment_accept(*, assignment_id: int, user: Any) -> Assignment:
    """Accept an offer. Exactly one of many racing accepts of a question wins; the others
    get ConflictError (409). The expert's load counter moves only if the accept wins."""
    assignment = _assignment_of(user, assignment_id)
    with transaction.atomic():
        question = _locked_question(assignment.question_id)
        if question is None:
            raise NotFoundError(_("No such offer."))
        now = timezone.now()
        if not capacity_claim(user_id=user.pk):
            raise ConflictError(
                _("You are at your capacity. Resolve or hand back a question first."),
                code="at_capacity",
            )
        try:
            with transaction.atomic():
                won = Assignment.objects.filter(
                    pk=assignment.pk,
                    status=Assignment.Status.OFFERED,
                    expires_at__gt=now,
                    # suspended (or removed) since the offer was made: it is no longer theirs
                    expert__status__in=[Expert.Status.APPROVED, Expert.Status.PROBATION],
                ).update(status=Assignment.Status.ACCEPTED, responded_at=now)
        except IntegrityError:  # another expert's accept of this question committed first
            won = 0
        if not won:
            # Raising rolls back the capacity claim above.
            raise ConflictError(
                _("This offer was taken by another expert or has expired."), code="offer_gone"
            )
        others = list(
            Assignment.objects.filter(question=question, status=Assignment.Status.OFFERED)
            .exclude(pk=assignment.pk)
            .values_list("expert__user_id", flat=True)
        )
        Assignment.objects.filter(question=question, status=Assignment.Status.OFFERED).exclude(
            pk=assignment.pk
        ).update(status=Assignment.Status.WITHDRAWN, ended_at=now)
        question.status = Question.Status.ASSIGNED
        question.save(update_fields=["status"])
        profile = getattr(assignment.expert.user, "expert_profile", None)
        name = profile.display_name if profile else assignment.expert.user.display_name
        Message.objects.create(
            question=question, role=Message.Role.SYSTEM, body=f"{name} joined the conversation."
        )
        audit_record(
            actor=user,
            action="assignment.accepted",
            target=assignment,
            brand_id=question.brand_id,
            data={"question_id": question.pk},
        )
        event_record(
            name="question.accepted",
            brand_id=question.brand_id,
            payload={
                "question_id": question.pk,
                "expert_id": assignment.expert_id,
                "assignment_id": assignment.pk,
            },
        )
        push_after_commit(others, {"type": "offer.withdrawn", "question_id": question.pk})
        push_after_commit(
            [question.asked_by_id], {"type": "question.assigned", "question_id": question.pk}
        )
    assignment.refresh_from_db()
    return assignment


@retry_on_conflict
def assignment_decline(*, assignment_id: int, user: Any) -> Assignment:
    """Decline an offer; the question goes to the next expert, never back to this one."""
    assignment = _assignment_of(user, assignment_id)
    with transaction.atomic():
        question = _locked_question(assignment.question_id)
        now = timezone.now()
        declined = Assignment.objects.filter(
            pk=assignment.pk, status=Assignment.Status.OFFERED
        ).update(status=Assignment.Status.DECLINED, responded_at=now, ended_at=now)
        if not declined:
            raise ConflictError(_("This offer is no longer open."), code="offer_gone")
        if question is not None:
            _back_to_waiting_if_unoffered(question)
    assignment.refresh_from_db()
    return assignment


def _back_to_waiting_if_unoffered(question: Question) -> bool:
    """After an offer ended: if no live offer is left, the question waits again and is routed."""
    if question.status != Question.Status.OFFERED:
        return False
    if Assignment.objects.filter(question=question, status=Assignment.Status.OFFERED).exists():
        return False
    question.status = Question.Status.WAITING
    question.save(update_fields=["status"])
    from routing.tasks import route_question

    enqueue_on_commit(route_question, question.pk)
    return True


@retry_on_conflict
def offers_expire_for_question(*, question_id: int) -> int:
    """Expire the question's overdue offers (sweeper). Idempotent; returns how many expired.

    Experts who let several offers in a row expire are set away, and told why.
    """
    with transaction.atomic():
        question = _locked_question(question_id)
        if question is None:
            return 0
        now = timezone.now()
        overdue = list(
            Assignment.objects.filter(
                question=question, status=Assignment.Status.OFFERED, expires_at__lte=now
            ).select_related("expert")
        )
        if not overdue:
            return 0
        Assignment.objects.filter(pk__in=[a.pk for a in overdue]).update(
            status=Assignment.Status.EXPIRED, ended_at=now
        )
        settings = routing_settings_for(question.brand_id)
        for offer in overdue:
            user_id = offer.expert.user_id
            Presence.objects.filter(user_id=user_id).update(missed_offers=F("missed_offers") + 1)
            set_away = Presence.objects.filter(
                user_id=user_id,
                status=Presence.Status.ONLINE,
                missed_offers__gte=settings.missed_offers_before_away,
            ).update(
                status=Presence.Status.AWAY,
                status_reason=(
                    f"{settings.missed_offers_before_away} offers in a row expired, so we set "
                    "you away to keep customers from waiting. Go online when you are back."
                ),
            )
            if set_away:
                on_duty_sync([user_id])
            push_after_commit(
                [user_id],
                {
                    "type": "presence.away" if set_away else "offer.expired",
                    "question_id": question.pk,
                },
            )
        _back_to_waiting_if_unoffered(question)
        return len(overdue)
