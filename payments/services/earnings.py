"""Earnings: booked once per resolved question, cleared after the brand's clearance period,
held, released or reversed by staff."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.db import retry_on_conflict
from gigcx.exceptions import ConflictError, NotFoundError
from marketplace.models import Brand, Expert
from payments.ledger import (
    account_for_brand,
    account_for_expert,
    accounts_for_earning,
    expert_credit_legs,
    expert_debit_legs,
    ledger_post,
    ledger_reverse,
)
from payments.models import Account, Earning, Transaction
from payments.services.earnings_batch import earnings_book_batch
from payments.services.rate_cards import fee_split, rate_card_in_force
from routing.models import Question

logger = logging.getLogger(__name__)

K = Account.Kind


def earning_book(*, question_id: int, expert_id: int | None) -> Earning | None:
    """Book what a resolved question earned its expert, as pending: a batch of one
    (:func:`payments.services.earnings_batch.earnings_book_batch`). Idempotent: the earning
    row is unique per question and the ledger entry's key is ``earning:<question id>``, so any
    number of calls book it once; a replay returns the earning booked before.

    brand payable −gross, expert pending +net, platform fee +fee. Returns None when there is
    nothing to book (no expert, no rate card in force, a zero rate).

    Runs in the caller's transaction (a plain atomic block): the outbox subscriber wraps it
    with its delivery claim, so it must not be durable.
    """
    booked = earnings_book_batch(resolutions=[(question_id, expert_id)])
    if booked:
        return booked[0]
    return Earning.objects.filter(question_id=question_id).first() if expert_id else None


def call_earning_key(call_id: int) -> str:
    return f"call-earning:{call_id}"


def call_earning_book(
    *, call_id: int, question_id: int, expert_id: int, duration_seconds: int, ended_at: datetime
) -> tuple[str, int, datetime] | None:
    """Book what a call earned its expert, as pending, through the ledger like a question's
    earning: the rate card in force when the call ended gives a flat ``call_amount`` plus
    ``call_minute_amount`` per started minute, split with the platform fee the same way.
    Idempotent by the key ``call-earning:<call id>``. Returns (currency, net, clears_at), or
    None when the card pays nothing for calls. Runs in the caller's transaction."""
    expert = Expert.objects.filter(pk=expert_id).first()
    question = Question.objects.filter(pk=question_id).first()
    if expert is None or question is None or expert.brand_id != question.brand_id:
        return None
    card = rate_card_in_force(brand_id=question.brand_id, at=ended_at)
    if card is None:
        logger.info("call %s ended without a rate card in force: no earning", call_id)
        return None
    minutes = -(-max(duration_seconds, 0) // 60)  # started minutes, rounded up
    gross = card.call_amount + card.call_minute_amount * minutes
    if gross <= 0:
        return None
    fee, net = fee_split(gross=gross, fee_bps=card.platform_fee_bps)
    payable, pending, platform = accounts_for_earning(expert=expert, currency=card.currency)
    legs = [(payable, -gross)]
    if net:
        legs.append((pending, net))
    if fee:
        legs.append((platform, fee))
    ledger_post(
        kind=Transaction.Kind.EARNING,
        idempotency_key=call_earning_key(call_id),
        postings=legs,
        memo=f"Call #{call_id} on question #{question_id} ({minutes} min)",
        brand_id=question.brand_id,
        expert=expert,
        question=question,
    )
    return card.currency, net, ended_at + timedelta(days=card.clearance_days)


def call_earning_clear(
    *, call_id: int, expert: Expert, currency: str, amount: int, question_id: int
) -> None:
    """Move a call's pending earning to available (key ``clear-call:<call id>``, so a replay
    posts nothing new). The caller owns the transaction and has claimed the call's row."""
    ledger_post(
        kind=Transaction.Kind.CLEARANCE,
        idempotency_key=f"clear-call:{call_id}",
        postings=[
            (account_for_expert(expert=expert, kind=K.PENDING, currency=currency), -amount),
            (account_for_expert(expert=expert, kind=K.AVAILABLE, currency=currency), amount),
        ],
        memo=f"Call #{call_id} cleared",
        brand_id=expert.brand_id,
        expert=expert,
        question_id=question_id,
    )


def _locked(earning_id: int, brand: Brand | None = None) -> Earning:
    queryset = Earning.objects.select_for_update().select_related("expert")
    if brand is not None:
        queryset = queryset.filter(brand=brand)
    earning = queryset.filter(pk=earning_id).first()
    if earning is None:
        raise NotFoundError(gettext("No such earning."))
    return earning


def _clear(earning: Earning, now: datetime) -> bool:
    """Move a locked, pending, due earning from pending to available."""
    if earning.status != Earning.Status.PENDING or earning.clears_at > now:
        return False
    amount = earning.total_net
    if amount:
        pending = account_for_expert(
            expert=earning.expert, kind=K.PENDING, currency=earning.currency
        )
        ledger_post(
            kind=Transaction.Kind.CLEARANCE,
            idempotency_key=f"clear:{earning.question_id}",
            # What the expert owes from an earlier clawback is repaid first.
            postings=[
                (pending, -amount),
                *expert_credit_legs(
                    expert=earning.expert,
                    currency=earning.currency,
                    amount=amount,
                    lock=[pending],
                ),
            ],
            memo=f"Question #{earning.question_id} cleared",
            brand_id=earning.brand_id,
            expert=earning.expert,
            question_id=earning.question_id,
        )
    Earning.objects.filter(pk=earning.pk).update(status=Earning.Status.AVAILABLE, cleared_at=now)
    return True


def earning_clear(*, earning_id: int, now: datetime | None = None) -> bool:
    """Clear one earning if it is pending, not held and past its clearance date. Idempotent:
    True only for the call that moved it."""
    with transaction.atomic(durable=True):
        return _clear(_locked(earning_id), now or timezone.now())


def earnings_clear_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Clear every due earning (the beat task). Each earning in its own short transaction."""
    now = now or timezone.now()
    cleared = 0
    for earning_id in (
        Earning.objects.due(now).order_by("clears_at").values_list("pk", flat=True)[:limit]
    ):
        cleared += earning_clear(earning_id=earning_id, now=now)
    return cleared


@retry_on_conflict
def earning_hold(
    *,
    earning_id: int,
    actor: Any,
    reason: str,
    brand: Brand | None = None,
    hold: str = Earning.Hold.STAFF,
) -> Earning:
    """Stop a pending earning from clearing until staff release it."""
    with transaction.atomic(durable=True):
        earning = _locked(earning_id, brand)
        if earning.status == Earning.Status.HELD:
            return earning
        if earning.status != Earning.Status.PENDING:
            raise ConflictError(gettext("Only a pending earning can be held."))
        Earning.objects.filter(pk=earning.pk).update(
            status=Earning.Status.HELD, hold=hold, hold_reason=reason[:300]
        )
        audit_record(
            actor=actor,
            action="earning.held",
            target=earning,
            brand_id=earning.brand_id,
            reason=reason,
        )
    earning.refresh_from_db()
    return earning


@retry_on_conflict
def earning_release(
    *, earning_id: int, actor: Any, reason: str, brand: Brand | None = None
) -> Earning:
    """Lift a hold. An earning already past its clearance date clears at once."""
    with transaction.atomic(durable=True):
        earning = _locked(earning_id, brand)
        if earning.status != Earning.Status.HELD:
            raise ConflictError(gettext("Only a held earning can be released."))
        Earning.objects.filter(pk=earning.pk).update(
            status=Earning.Status.PENDING, hold="", hold_reason=""
        )
        earning.status = Earning.Status.PENDING
        _clear(earning, timezone.now())
        audit_record(
            actor=actor,
            action="earning.released",
            target=earning,
            brand_id=earning.brand_id,
            reason=reason,
        )
    earning.refresh_from_db()
    return earning


@retry_on_conflict
def earning_reverse(
    *, earning_id: int, actor: Any, reason: str, brand: Brand | None = None
) -> Earning:
    """Take an earning back with reversing transactions (never by editing the original).

    Pending or held: the earning (and any bonus) is reversed as booked. Available: the same,
    but the expert's share comes out of ``available`` (it was moved there by clearance); when
    the expert was already paid and the balance no longer covers it, ``available`` gives what
    it holds and the rest is booked to the expert's debt account (a clawback never drives a
    balance negative; later earnings repay the debt first). Idempotent for an already
    reversed earning.
    """
    debt_booked = 0
    with transaction.atomic(durable=True):
        earning = _locked(earning_id, brand)
        if earning.status == Earning.Status.REVERSED:
            return earning
        originals = list(
            Transaction.objects.filter(
                question_id=earning.question_id,
                kind__in=[Transaction.Kind.EARNING, Transaction.Kind.BONUS],
                reverses__isnull=True,
            ).order_by("pk")
        )
        for original in originals:
            if earning.status == Earning.Status.AVAILABLE:
                legs = []
                expert_share = 0
                for posting in original.postings.select_related("account"):
                    account = posting.account
                    if account.owner_type == Account.Owner.EXPERT:
                        expert_share += posting.amount
                    else:
                        legs.append((account, -posting.amount))
                if expert_share:
                    taken = expert_debit_legs(
                        expert=earning.expert,
                        currency=earning.currency,
                        amount=expert_share,
                        lock=[account for account, _ in legs],
                    )
                    debt_booked += -sum(a for acc, a in taken if acc.kind == K.EXPERT_DEBT)
                    legs.extend(taken)
                ledger_post(
                    kind=Transaction.Kind.EARNING_REVERSAL,
                    idempotency_key=f"reverse:{original.idempotency_key}",
                    postings=legs,
                    memo=reason,
                    reverses=original,
                    brand_id=earning.brand_id,
                    expert=earning.expert,
                    question_id=earning.question_id,
                )
            else:
                ledger_reverse(
                    original=original,
                    idempotency_key=f"reverse:{original.idempotency_key}",
                    kind=Transaction.Kind.EARNING_REVERSAL,
                    memo=reason,
                    brand_id=earning.brand_id,
                    expert=earning.expert,
                    question_id=earning.question_id,
                )
        Earning.objects.filter(pk=earning.pk).update(
            status=Earning.Status.REVERSED, hold_reason=reason[:300]
        )
        audit_record(
            actor=actor,
            action="earning.reversed",
            target=earning,
            brand_id=earning.brand_id,
            reason=reason,
            data={"debt_booked": debt_booked, "currency": earning.currency}
            if debt_booked
            else None,
        )
    earning.refresh_from_db()
    return earning


def earning_apply_rating(*, question_id: int, rating: int) -> Earning | None:
    """Apply a customer's rating to the question's earning: a top rating books the rate card's
    bonus (``bonus:<question id>``, brand payable → expert, no platform fee); a rating below the
    hold threshold holds a pending earning for staff review. Idempotent.

    Runs from the ``question.rated`` subscriber (quality records the event when the asker
    rates; payload ``{question_id, rating, ...}``). Plain atomic (subscriber transaction).
    """
    with transaction.atomic():
        earning = (
            Earning.objects.select_for_update()
            .select_related("rate_card", "expert")
            .filter(question_id=question_id)
            .first()
        )
        if earning is None or earning.status == Earning.Status.REVERSED:
            return earning
        card = earning.rate_card
        if card.bonus_amount and rating >= card.bonus_min_rating and earning.bonus == 0:
            payable = account_for_brand(
                brand=earning.brand_id, kind=K.BRAND_PAYABLE, currency=earning.currency
            )
            if earning.status == Earning.Status.AVAILABLE:
                # Straight to the expert: a debt from an earlier clawback is repaid first.
                credit = expert_credit_legs(
                    expert=earning.expert,
                    currency=earning.currency,
                    amount=card.bonus_amount,
                    lock=[payable],
                )
            else:
                credit = [
                    (
                        account_for_expert(
                            expert=earning.expert, kind=K.PENDING, currency=earning.currency
                        ),
                        card.bonus_amount,
                    )
                ]
            ledger_post(
                kind=Transaction.Kind.BONUS,
                idempotency_key=f"bonus:{question_id}",
                postings=[(payable, -card.bonus_amount), *credit],
                memo=f"Question #{question_id} rated {rating}",
                brand_id=earning.brand_id,
                expert=earning.expert,
                question_id=question_id,
            )
            Earning.objects.filter(pk=earning.pk).update(bonus=card.bonus_amount)
        if (
            card.hold_below_rating
            and rating < card.hold_below_rating
            and earning.status == Earning.Status.PENDING
        ):
            Earning.objects.filter(pk=earning.pk).update(
                status=Earning.Status.HELD, hold=Earning.Hold.RATING, hold_reason=f"Rated {rating}"
            )
            audit_record(
                actor=None,
                action="earning.held",
                target=earning,
                brand_id=earning.brand_id,
                reason=f"Rated {rating}",
                data={"hold": Earning.Hold.RATING},
            )
    earning.refresh_from_db()
    return earning


def earning_surge_bonus_key(question_id: int) -> str:
    return f"surge-bonus:{question_id}"


def earning_surge_bonus_book(*, question_id: int) -> Earning | None:
    """Book the staffing surge bonus on a question's earning when its expert was invited to a
    surge that was on when the question was resolved (brand payable -> expert, no platform
    fee; the amount shown on the invitation). Idempotent: the ledger key
    ``surge-bonus:<question id>`` and ``Earning.surge_bonus`` set once. Plain atomic (runs
    in the ``question.resolved`` subscriber's transaction)."""
    from routing.services.staffing import staffing_invite_covering

    with transaction.atomic():
        earning = (
            Earning.objects.select_for_update()
            .select_related("expert")
            .filter(question_id=question_id)
            .first()
        )
        if earning is None or earning.status == Earning.Status.REVERSED or earning.surge_bonus:
            return earning
        invite = staffing_invite_covering(expert_id=earning.expert_id, at=earning.earned_at)
        if invite is None or not invite.surge.bonus_amount:
            return earning
        if invite.surge.currency != earning.currency:
            logger.warning("surge bonus for question %s: currency changed, not paid", question_id)
            return earning
        amount = invite.surge.bonus_amount
        target = K.AVAILABLE if earning.status == Earning.Status.AVAILABLE else K.PENDING
        ledger_post(
            kind=Transaction.Kind.BONUS,
            idempotency_key=earning_surge_bonus_key(question_id),
            postings=[
                (
                    account_for_brand(
                        brand=earning.brand_id, kind=K.BRAND_PAYABLE, currency=earning.currency
                    ),
                    -amount,
                ),
                (
                    account_for_expert(
                        expert=earning.expert, kind=target, currency=earning.currency
                    ),
                    amount,
                ),
            ],
            memo=f"Question #{question_id} resolved in a staffing surge",
            brand_id=earning.brand_id,
            expert=earning.expert,
            question_id=question_id,
        )
        Earning.objects.filter(pk=earning.pk).update(surge_bonus=amount)
        earning.surge_bonus = amount
    return earning
