"""Calls and callbacks (writes).

Lock order, as in routing: the question row first, then the expert's presence row (through
``capacity_claim``), then the call and its offers. An expert holds one capacity slot from
accepting a call until it ends, so routing's matching sees her load.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.db import id_in_range, retry_on_conflict
from gigcx.exceptions import ApplicationError, ConflictError, NotFoundError
from gigcx.i18n import language_for
from marketplace.availability import expert_zone, window_end_at
from marketplace.models import Expert
from routing import system_texts
from routing.live import push_after_commit
from routing.models import Assignment, Message, Question
from routing.selectors import expert_candidates_for_question, routing_settings_for
from routing.services.offers import candidates_to_offer
from routing.services.presence import capacity_claim, capacity_release
from voice.models import Call, CallbackSlot, CallOffer

logger = logging.getLogger(__name__)

# A call the expert accepted but whose audio never connected is given up after this long.
RINGING_GIVE_UP = timedelta(seconds=90)
# Callbacks: how far ahead a customer may book, how soon, and when reminders go out.
CALLBACK_MIN_LEAD = timedelta(minutes=10)
CALLBACK_MAX_AHEAD = timedelta(days=7)
CALLBACK_REMINDER_BEFORE = timedelta(minutes=15)


def _locked_question(question_id: int) -> Question | None:
    return (
        Question.objects.select_for_update(of=("self",))
        .select_related("brand", "product", "product__category")
        .filter(pk=question_id)
        .first()
    )


def _current_expert(question: Question) -> Expert | None:
    assignment = (
        Assignment.objects.filter(question=question, status=Assignment.Status.ACCEPTED)
        .select_related("expert__user")
        .first()
    )
    return assignment.expert if assignment is not None else None


def _notify(call: Call, event: str, extra_user_ids: list[int] | None = None) -> None:
    targets = [call.customer_id, *(extra_user_ids or [])]
    if call.expert_id is not None:
        targets.append(call.expert_required.user_id)
    push_after_commit(targets, {"type": event, "call_id": call.pk, "question_id": call.question_id})


def _matching_experts(question: Question, *, exclude: set[int]) -> list[Expert]:
    """The experts routing would offer this question to now (same matching, capacity and
    broadcast size as chat), widest expert step at most, minus those already rung."""
    settings = routing_settings_for(question.brand_id)
    now = timezone.now()
    for step in (1, 2, 3):
        candidates = [
            c
            for c in expert_candidates_for_question(
                question=question, step=step, settings=settings, now=now
            )
            if c.expert.pk not in exclude
        ]
        if question.product_id is None and step < 3:
            continue
        if not candidates:
            continue
        by_id = {c.expert.pk: c.expert for c in candidates}
        chosen = candidates_to_offer(candidates, question=question, settings=settings)
        return [by_id[scored.expert_id] for scored in chosen]
    return []


def _offer(call: Call, experts: list[Expert], now: datetime) -> list[CallOffer]:
    timeout = routing_settings_for(call.brand_id).offer_timeout_seconds
    offers = [
        CallOffer.objects.create(
            call=call, expert=expert, expires_at=now + timedelta(seconds=timeout)
        )
        for expert in experts
    ]
    push_after_commit(
        [e.user_id for e in experts],
        {"type": "call.offer", "call_id": call.pk, "question_id": call.question_id},
    )
    return offers


def _system_message(question: Question, body: str) -> None:
    Message.objects.create(question=question, role=Message.Role.SYSTEM, body=body)


def _miss(call: Call, now: datetime) -> None:
    call.status = Call.Status.MISSED
    call.ended_at = now
    call.save(update_fields=["status", "ended_at"])
    _system_message(
        call.question,
        system_texts.CALL_MISSED,
    )
    _notify(call, "call.status")


@retry_on_conflict
def call_request(*, question_id: int, user: Any) -> Call:
    """The customer asks to talk now. Idempotent while a call is live (returns it).

    Rings the question's own expert first when it has one; otherwise (or when she cannot
    take it) the experts routing's matching would pick. With nobody free the call is
    ``missed`` at once and the customer is offered a callback.
    """
    with transaction.atomic():
        question = _locked_question(question_id)
        if question is None or question.asked_by_id != user.pk:
            raise NotFoundError(gettext("No such question."))
        if question.status in (Question.Status.RESOLVED, Question.Status.ESCALATED):
            raise ConflictError(
                gettext("This conversation is closed. Ask a new question to talk to an expert."),
                code="question_closed",
            )
        live = Call.objects.filter(question=question, status__in=Call.LIVE).first()
        if live is not None:
            return live
        now = timezone.now()
        call = Call.objects.create(
            question=question, brand_id=question.brand_id, customer=user, status=Call.Status.OFFERED
        )
        own = _current_expert(question)
        experts = [own] if own is not None else _matching_experts(question, exclude=set())
        audit_record(
            actor=user,
            action="call.requested",
            target=call,
            brand_id=question.brand_id,
            data={"question_id": question.pk},
        )
        if not experts:
            _miss(call, now)
            return call
        _offer(call, experts, now)
        _notify(call, "call.status")
        return call


def _open_offer(call_id: int, user: Any) -> CallOffer:
    if not id_in_range(call_id):  # a lookup on the offer's call_id column is not range-checked
        raise NotFoundError(gettext("No such call."))
    offer = (
        CallOffer.objects.filter(call_id=call_id, expert__user_id=user.pk)
        .select_related("call", "expert")
        .first()
    )
    if offer is None:
        raise NotFoundError(gettext("No such call."))
    return offer


@retry_on_conflict
def call_accept(*, call_id: int, user: Any) -> Call:
    """An expert answers a ringing call. Exactly one of many racing accepts wins (a
    conditional UPDATE on the call); the others get ConflictError. The winner takes one
    capacity slot (refused when she is at capacity). On a question that has no expert yet
    she also takes the conversation, through routing's own offer and accept."""
    offer = _open_offer(call_id, user)
    with transaction.atomic():
        question = _locked_question(offer.call.question_id)
        if question is None:
            raise NotFoundError(gettext("No such call."))
        now = timezone.now()
        if not capacity_claim(user_id=user.pk):
            raise ConflictError(
                gettext("You are at your capacity. Finish a conversation before taking a call."),
                code="at_capacity",
            )
        taken = CallOffer.objects.filter(
            pk=offer.pk, status=CallOffer.Status.OFFERED, expires_at__gt=now
        ).update(status=CallOffer.Status.ACCEPTED, responded_at=now)
        won = taken and Call.objects.filter(
            pk=offer.call_id, status=Call.Status.OFFERED, expert__isnull=True
        ).update(status=Call.Status.RINGING, expert=offer.expert, accepted_at=now)
        if not won:
            # Raising rolls back the capacity claim and the offer's update.
            raise ConflictError(
                gettext("This call was answered by another expert or stopped ringing."),
                code="call_gone",
            )
        others = list(
            CallOffer.objects.filter(call_id=offer.call_id, status=CallOffer.Status.OFFERED)
            .exclude(pk=offer.pk)
            .values_list("expert__user_id", flat=True)
        )
        CallOffer.objects.filter(call_id=offer.call_id, status=CallOffer.Status.OFFERED).exclude(
            pk=offer.pk
        ).update(status=CallOffer.Status.WITHDRAWN, responded_at=now)
        current = _current_expert(question)
        if current is None or current.pk != offer.expert_id:
            _take_conversation(question, offer.expert, user, now)
        call = Call.objects.select_related("expert__user", "question").get(pk=offer.call_id)
        audit_record(
            actor=user,
            action="call.accepted",
            target=call,
            brand_id=call.brand_id,
            data={"question_id": call.question_id},
        )
        push_after_commit(others, {"type": "call.withdrawn", "call_id": call.pk})
        _notify(call, "call.accepted")
    return call


def _take_conversation(question: Question, expert: Expert, user: Any, now: datetime) -> None:
    """The call's expert becomes the question's expert, the way chat does it: routing's
    named offer, then routing's accept (its own capacity slot, its races)."""
    from routing.services.offers import assignment_accept, offer_to_named_expert

    if _current_expert(question) is not None:
        raise ConflictError(
            gettext("Another expert has this conversation; the call is theirs to take."),
            code="call_gone",
        )
    settings = routing_settings_for(question.brand_id)
    # Chat routing may have offered her the question already: she takes that offer.
    assignment = Assignment.objects.filter(
        question=question, expert=expert, status=Assignment.Status.OFFERED
    ).first() or offer_to_named_expert(
        question,
        expert=expert,
        step=max(question.routing_step, 1),
        reason="call",
        note="The customer asked to talk; this expert answered the call.",
        timeout_seconds=settings.offer_timeout_seconds,
        now=now,
    )
    if question.status in (Question.Status.NEW, Question.Status.WAITING):
        question.status = Question.Status.OFFERED
        question.save(update_fields=["status"])
    assignment_accept(assignment_id=assignment.pk, user=user)


@retry_on_conflict
def call_decline(*, call_id: int, user: Any) -> Call:
    """An expert lets a ringing call go; the next matching expert is rung, or it is missed."""
    offer = _open_offer(call_id, user)
    with transaction.atomic():
        question = _locked_question(offer.call.question_id)
        now = timezone.now()
        declined = CallOffer.objects.filter(pk=offer.pk, status=CallOffer.Status.OFFERED).update(
            status=CallOffer.Status.DECLINED, responded_at=now
        )
        if not declined:
            raise ConflictError(
                gettext("This call is no longer ringing for you."), code="call_gone"
            )
        call = Call.objects.select_related("question").get(pk=offer.call_id)
        if question is not None:
            _ring_next_or_miss(call, now)
    return call


def _ring_next_or_miss(call: Call, now: datetime) -> None:
    """After an offer ended: ring the next matching experts, or give up (missed)."""
    if call.status != Call.Status.OFFERED:
        return
    if CallOffer.objects.filter(call=call, status=CallOffer.Status.OFFERED).exists():
        return
    rung = set(CallOffer.objects.filter(call=call).values_list("expert_id", flat=True))
    experts = (
        [] if _current_expert(call.question) else _matching_experts(call.question, exclude=rung)
    )
    if experts:
        _offer(call, experts, now)
    else:
        _miss(call, now)


def _participant_call(call_id: int, user: Any) -> Call:
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("expert__user", "question", "customer")
        .filter(pk=call_id)
        .first()
    )
    if call is None or user.pk not in call.participant_user_ids():
        raise NotFoundError(gettext("No such call."))
    return call


@retry_on_conflict
def call_connected(*, call_id: int, user: Any) -> Call:
    """A participant's browser reports that audio flows. Idempotent: the first report sets
    ``connected_at`` and writes the start into the conversation."""
    with transaction.atomic():
        call = _participant_call(call_id, user)
        if call.status != Call.Status.RINGING:
            return call
        now = timezone.now()
        call.status = Call.Status.CONNECTED
        call.connected_at = now
        call.save(update_fields=["status", "connected_at"])
        _system_message(
            call.question,
            f"Call with {call.expert_required.display_name} started at {now:%H:%M} UTC.",
        )
        _notify(call, "call.status")
    return call


def _duration_text(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


@retry_on_conflict
def call_hang_up(*, call_id: int, user: Any) -> Call:
    """Either participant ends the call. Idempotent: a call already over is returned as is.

    A connected call becomes ``ended`` with its duration, written into the conversation; the
    expert's slot is freed and the call's earning is booked through the ledger (pending, like
    a question's; ``call-earning:<id>``). A call that never connected is ``cancelled``.
    """
    from payments.services import call_earning_book

    with transaction.atomic():
        call = _participant_call(call_id, user)
        question = _locked_question(call.question_id)
        call = _participant_call(call_id, user)  # the question's lock first, then the call's
        if not call.is_live:
            return call
        now = timezone.now()
        by = "customer" if user.pk == call.customer_id else "expert"
        offered = list(
            CallOffer.objects.filter(call=call, status=CallOffer.Status.OFFERED).values_list(
                "expert__user_id", flat=True
            )
        )
        CallOffer.objects.filter(call=call, status=CallOffer.Status.OFFERED).update(
            status=CallOffer.Status.WITHDRAWN, responded_at=now
        )
        if call.status in Call.HOLDS_EXPERT:
            capacity_release(user_id=call.expert_required.user_id)
        call.ended_at = now
        call.ended_by = by
        if call.status == Call.Status.CONNECTED:
            call.status = Call.Status.ENDED
            call.duration_seconds = max(0, int((now - (call.connected_at or now)).total_seconds()))
            _system_message(
                question or call.question,
                f"Call with {call.expert_required.display_name} ended at {now:%H:%M} UTC "
                f"(started {call.connected_at:%H:%M}, lasted "
                f"{_duration_text(call.duration_seconds)}).",
            )
            booked = call_earning_book(
                call_id=call.pk,
                question_id=call.question_id,
                expert_id=call.expert_required.pk,
                duration_seconds=call.duration_seconds,
                ended_at=now,
            )
            if booked is not None:
                call.currency, call.earning_net, call.earning_clears_at = booked
        else:
            call.status = Call.Status.CANCELLED
        call.save()
        if call.callback_id is not None and call.status == Call.Status.ENDED:
            CallbackSlot.objects.filter(pk=call.callback_id).update(status=CallbackSlot.Status.DONE)
        audit_record(
            actor=user,
            action=f"call.{call.status}",
            target=call,
            brand_id=call.brand_id,
            data={"question_id": call.question_id, "duration_seconds": call.duration_seconds},
        )
        _notify(call, "call.ended", extra_user_ids=offered)
    return call


def call_rate(*, call_id: int, user: Any, rating: int) -> Call:
    """The customer rates an ended call once, 1 to 5."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ApplicationError(
            gettext("Rate the call from 1 to 5 stars."),
            fields={"rating": [gettext("Between 1 and 5.")]},
        )
    call = Call.objects.filter(pk=call_id, customer_id=user.pk).first()
    if call is None:
        raise NotFoundError(gettext("No such call."))
    with transaction.atomic():
        rated = Call.objects.filter(
            pk=call.pk, status=Call.Status.ENDED, rating__isnull=True
        ).update(rating=rating)
        if not rated:
            raise ConflictError(
                gettext("Only an ended call can be rated, and only once."), code="not_rateable"
            )
        audit_record(
            actor=user,
            action="call.rated",
            target=call,
            brand_id=call.brand_id,
            data={"rating": rating},
        )
    call.refresh_from_db()
    return call


def calls_sweep(*, now: datetime | None = None) -> int:
    """The beat task's work: offers past their time expire (the next expert is rung, or the
    call is missed); calls accepted but never connected are given up. Idempotent."""
    now = now or timezone.now()
    done = 0
    due = set(
        CallOffer.objects.filter(status=CallOffer.Status.OFFERED, expires_at__lte=now).values_list(
            "call_id", flat=True
        )
    )
    for call_id in sorted(due):
        done += _expire_offers(call_id, now)
    stale = Call.objects.filter(
        status=Call.Status.RINGING, accepted_at__lte=now - RINGING_GIVE_UP
    ).values_list("pk", flat=True)
    for call_id in list(stale):
        done += _give_up(call_id, now)
    return done


@retry_on_conflict
def _expire_offers(call_id: int, now: datetime) -> int:
    with transaction.atomic():
        call = Call.objects.select_related("question").filter(pk=call_id).first()
        if call is None or _locked_question(call.question_id) is None:
            return 0
        expired = CallOffer.objects.filter(
            call_id=call_id, status=CallOffer.Status.OFFERED, expires_at__lte=now
        ).update(status=CallOffer.Status.EXPIRED)
        call.refresh_from_db()
        if expired:
            _ring_next_or_miss(call, now)
        return expired


@retry_on_conflict
def _give_up(call_id: int, now: datetime) -> int:
    with transaction.atomic():
        call = Call.objects.select_related("expert").filter(pk=call_id).first()
        if call is None or _locked_question(call.question_id) is None:
            return 0
        gave_up = Call.objects.filter(pk=call_id, status=Call.Status.RINGING).update(
            status=Call.Status.CANCELLED, ended_at=now, ended_by="timeout"
        )
        if gave_up:
            capacity_release(user_id=call.expert_required.user_id)
            _notify(call, "call.ended")
        return gave_up


# ---------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------


def _brand_windows(brand_id: int) -> list[tuple[list[Any], Any]]:
    """Each taking expert's weekly windows with her zone."""
    experts = (
        Expert.objects.approved()
        .filter(brand_id=brand_id)
        .select_related("user__expert_profile")
        .prefetch_related("user__expert_profile__availability")
    )
    found = []
    for expert in experts:
        profile = getattr(expert.user, "expert_profile", None)
        if profile is None:
            continue
        windows = [(w.weekday, w.start, w.end) for w in profile.availability.all()]
        if windows:
            found.append((windows, expert_zone(profile.timezone)))
    return found


def callback_time_ok(*, brand_id: int, starts_at: datetime) -> bool:
    """True when the whole slot lies inside some expert's window."""
    length = timedelta(minutes=CallbackSlot.LENGTH_MINUTES)
    for windows, zone in _brand_windows(brand_id):
        closes = window_end_at(windows, zone, starts_at)
        if closes is not None and starts_at + length <= closes:
            return True
    return False


def callback_times(
    *, brand_id: int, now: datetime | None = None, limit: int = 48
) -> list[datetime]:
    """The next bookable slot starts (quarter hours inside the experts' windows)."""
    now = now or timezone.now()
    step = timedelta(minutes=CallbackSlot.LENGTH_MINUTES)
    first = now + CALLBACK_MIN_LEAD
    at = first.replace(second=0, microsecond=0) + timedelta(minutes=-first.minute % 15)
    if at < first:
        at += step
    found: list[datetime] = []
    windows = _brand_windows(brand_id)
    while at <= now + CALLBACK_MAX_AHEAD and len(found) < limit:
        for expert_windows, zone in windows:
            closes = window_end_at(expert_windows, zone, at)
            if closes is not None and at + step <= closes:
                found.append(at)
                break
        at += step
    return found


@retry_on_conflict
def callback_book(*, question_id: int, user: Any, starts_at: datetime) -> CallbackSlot:
    """The customer books a callback. Refused outside the experts' windows, in the past or
    too soon, too far ahead, or while another is pending for the question."""
    if timezone.is_naive(starts_at):
        raise ApplicationError(
            gettext("Give the time with its time zone."),
            fields={"starts_at": [gettext("Needs a time zone.")]},
        )
    now = timezone.now()
    if starts_at < now + CALLBACK_MIN_LEAD:
        raise ApplicationError(
            gettext("Pick a time at least 10 minutes from now."),
            fields={"starts_at": [gettext("Too soon.")]},
        )
    if starts_at > now + CALLBACK_MAX_AHEAD:
        raise ApplicationError(
            gettext("Pick a time within the next 7 days."),
            fields={"starts_at": [gettext("Too far ahead.")]},
        )
    with transaction.atomic():
        question = _locked_question(question_id)
        if question is None or question.asked_by_id != user.pk:
            raise NotFoundError(gettext("No such question."))
        if question.status in (Question.Status.RESOLVED, Question.Status.ESCALATED):
            raise ConflictError(gettext("This conversation is closed."), code="question_closed")
        if not callback_time_ok(brand_id=question.brand_id, starts_at=starts_at):
            raise ApplicationError(
                gettext(
                    "No expert is available at that time. Pick one of the times offered (inside "
                    "the experts' hours)."
                ),
                code="outside_windows",
                fields={"starts_at": ["Outside the experts' availability windows."]},
            )
        try:
            with transaction.atomic():
                slot = CallbackSlot.objects.create(
                    question=question,
                    brand_id=question.brand_id,
                    customer=user,
                    starts_at=starts_at,
                    expert=_current_expert(question),
                    status=(
                        CallbackSlot.Status.TAKEN
                        if _current_expert(question)
                        else CallbackSlot.Status.OPEN
                    ),
                    taken_at=now if _current_expert(question) else None,
                )
        except IntegrityError:
            raise ConflictError(
                gettext(
                    "A callback is already booked for this question. Cancel it to pick another "
                    "time."
                ),
                code="callback_pending",
            ) from None
        _system_message(
            question,
            f"Callback booked for {starts_at:%a %d %b, %H:%M} UTC. An expert will call you here.",
        )
        audit_record(
            actor=user,
            action="callback.booked",
            target=slot,
            brand_id=question.brand_id,
            data={"starts_at": starts_at.isoformat()},
        )
        recipients = [slot.expert.user_id] if slot.expert is not None else []
        push_after_commit(
            [user.pk, *recipients], {"type": "callback.booked", "question_id": question.pk}
        )
    return slot


def callback_take(*, slot_id: int, user: Any) -> CallbackSlot:
    """An expert of the brand takes an open slot (first one wins)."""
    slot = CallbackSlot.objects.filter(pk=slot_id).first()
    expert = (
        Expert.objects.approved().filter(brand_id=slot.brand_id, user_id=user.pk).first()
        if slot is not None
        else None
    )
    if slot is None or expert is None:
        raise NotFoundError(gettext("No such callback."))
    with transaction.atomic():
        taken = CallbackSlot.objects.filter(
            pk=slot.pk, status=CallbackSlot.Status.OPEN, expert__isnull=True
        ).update(status=CallbackSlot.Status.TAKEN, expert=expert, taken_at=timezone.now())
        if not taken:
            raise ConflictError(gettext("Another expert took this callback."), code="callback_gone")
        audit_record(actor=user, action="callback.taken", target=slot, brand_id=slot.brand_id)
        push_after_commit(
            [slot.customer_id], {"type": "callback.taken", "question_id": slot.question_id}
        )
    slot.refresh_from_db()
    return slot


@retry_on_conflict
def callback_call(*, slot_id: int, user: Any) -> Call:
    """The slot's expert calls the customer (from the conversation page, at the time). The
    call rings on the customer's page; the expert holds a capacity slot while it lasts."""
    slot = (
        CallbackSlot.objects.select_related("expert")
        .filter(pk=slot_id, expert__user_id=user.pk)
        .first()
    )
    if slot is None:
        raise NotFoundError(gettext("No such callback."))
    if slot.status != CallbackSlot.Status.TAKEN:
        raise ConflictError(
            gettext("This callback is not waiting for a call."), code="callback_gone"
        )
    if timezone.now() < slot.starts_at - CALLBACK_REMINDER_BEFORE:
        raise ConflictError(
            gettext("It is too early: the customer expects you at %(time)s UTC.")
            % {"time": f"{slot.starts_at:%H:%M}"},
            code="too_early",
        )
    with transaction.atomic():
        question = _locked_question(slot.question_id)
        if question is None:
            raise NotFoundError(gettext("No such callback."))
        if not capacity_claim(user_id=user.pk):
            raise ConflictError(
                gettext("You are at your capacity. Finish a conversation before calling."),
                code="at_capacity",
            )
        now = timezone.now()
        current = _current_expert(question)
        if current is None:
            # Booked while nobody had the conversation: calling takes it (its own slot).
            _take_conversation(question, slot.expert_required, user, now)
        elif current.pk != slot.expert_id:
            raise ConflictError(
                gettext("%(name)s has this conversation now; the callback is theirs.")
                % {"name": current.display_name},
                code="callback_gone",
            )
        try:
            with transaction.atomic():
                call = Call.objects.create(
                    question=question,
                    brand_id=question.brand_id,
                    customer_id=slot.customer_id,
                    expert=slot.expert,
                    status=Call.Status.RINGING,
                    accepted_at=now,
                    callback=slot,
                )
        except IntegrityError:
            raise ConflictError(gettext("A call is already under way."), code="call_live") from None
        audit_record(actor=user, action="callback.called", target=call, brand_id=call.brand_id)
        _notify(call, "call.incoming")
    return call


def _remind(slot: CallbackSlot, who: str) -> None:
    recipient = slot.customer if who == "customer" else slot.expert_required.user
    # In the recipient's language, the time in its format.
    with translation.override(language_for(user=recipient, brand=slot.brand)):
        when = formats.date_format(timezone.localtime(slot.starts_at, UTC), "DATETIME_FORMAT")
        if who == "customer":
            body = gettext(
                "An expert will call you back at %(when)s UTC about your question. Keep the "
                "conversation page open in your browser; the call rings there."
            ) % {"when": when}
        else:
            body = gettext(
                "You have a callback at %(when)s UTC. Call the customer from the conversation page."
            ) % {"when": when}
        subject = gettext("Your GigCX callback is soon")
    push_after_commit(
        [slot.customer_id if who == "customer" else slot.expert_required.user_id],
        {"type": "callback.reminder", "question_id": slot.question_id},
    )
    send_mail(
        subject,
        body,
        django_settings.DEFAULT_FROM_EMAIL,
        [recipient.email],
        fail_silently=True,
    )


def callback_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the customer and the expert of each taken slot starting soon. Idempotent: a
    conditional UPDATE claims each reminder before it is sent, so it goes out once whatever
    the number of runs (a crash between claim and send loses that one reminder rather than
    sending it twice)."""
    now = now or timezone.now()
    sent = 0
    due = CallbackSlot.objects.filter(
        status=CallbackSlot.Status.TAKEN,
        starts_at__gt=now,
        starts_at__lte=now + CALLBACK_REMINDER_BEFORE,
    ).select_related("customer", "expert__user", "brand")
    for slot in due:
        for who, field in (("customer", "customer_reminded_at"), ("expert", "expert_reminded_at")):
            with transaction.atomic():
                claimed = CallbackSlot.objects.filter(pk=slot.pk, **{f"{field}__isnull": True})
                if claimed.update(**{field: now}):
                    _remind(slot, who)
                    sent += 1
    return sent


def call_earnings_clear_due(*, now: datetime | None = None) -> int:
    """Move call earnings past their clearance date from pending to available (the beat
    task). Idempotent: the ledger key is per call and the row is claimed first."""
    from payments.services import call_earning_clear

    now = now or timezone.now()
    cleared = 0
    due = Call.objects.filter(
        status=Call.Status.ENDED,
        earning_net__gt=0,
        earning_cleared_at__isnull=True,
        earning_clears_at__lte=now,
    ).select_related("expert")
    for call in due:
        with transaction.atomic():
            if Call.objects.filter(pk=call.pk, earning_cleared_at__isnull=True).update(
                earning_cleared_at=now
            ):
                call_earning_clear(
                    call_id=call.pk,
                    expert=call.expert_required,
                    currency=call.currency,
                    amount=call.earning_net,
                    question_id=call.question_id,
                )
                cleared += 1
    return cleared
