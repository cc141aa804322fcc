"""Earnings booked in batches: when many resolutions arrive together, one database transaction
books them all, with a number of queries that does not grow with the batch.

The ``question.resolved`` subscriber (``payments.book_earning``) books its own question's
earning and, in the same transaction, those of up to ``EARNINGS_BATCH_SIZE - 1`` other
resolved questions whose event payments has not handled yet (the outbox's undelivered
events). A lone resolution is a batch of one, booked as promptly as before; under a burst the
first delivery books its neighbours, and their own deliveries find the work done.

Exactly once, whoever runs: the claim is the ``Earning`` row, unique per question, inserted
with ``ON CONFLICT (question_id) DO NOTHING RETURNING``, so of two batches (two workers, a
redelivered task) holding the same question only one gets its row back and posts its ledger
entry; the other waits for that commit and skips it. The rows are inserted in question order,
so two batches never wait on each other crosswise. A worker that dies inside the batch rolls
the whole transaction back (claims included), and the outbox delivers the events again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import BigIntegerField, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from gigcx.faults import failpoint
from gigcx.models import DomainEvent, EventDelivery
from marketplace.models import Category, Expert
from payments.ledger import (
    LedgerEntry,
    ledger_post_many,
)
from payments.models import Account, Earning, RateCard, RateCardLine, Transaction
from payments.services.rate_cards import fee_split, rate_for
from routing.models import Question

logger = logging.getLogger(__name__)

K = Account.Kind
SUBSCRIBER = "payments.book_earning"
# Resolutions booked in one transaction at most. Big enough that a burst costs a few
# transactions; small enough that a batch holds the shared platform and brand account locks
# for a few milliseconds only.
EARNINGS_BATCH_SIZE = 50


def earning_key(question_id: int) -> str:
    return f"earning:{question_id}"


def earnings_book_batch(*, resolutions: Sequence[tuple[int, int | None]]) -> list[Earning]:
    """Book the earnings of resolved questions, given as (question id, expert id), as pending:
    brand payable −gross, expert pending +net, platform fee +fee, one ledger transaction
    ``earning:<question id>`` each, all in the caller's transaction (plain atomic block).

    Idempotent: returns only the earnings this call booked. A question already booked, no
    longer resolved, without an expert, of another brand than its expert's, without a rate
    card in force at its resolution or with a zero rate is skipped. Queries: a small constant
    (about ten) once the accounts exist, whatever the number of resolutions; creating a
    missing account costs one more each, once.
    """
    wanted = {question_id: expert_id for question_id, expert_id in resolutions if expert_id}
    if not wanted:
        return []
    questions = list(
        Question.objects.filter(
            pk__in=wanted, status=Question.Status.RESOLVED, earning__isnull=True
        )
        .select_related("product")
        .order_by("pk")
    )
    expert_brand = dict(
        Expert.objects.filter(pk__in={wanted[q.pk] for q in questions}).values_list(
            "pk", "brand_id"
        )
    )
    questions = [q for q in questions if expert_brand.get(wanted[q.pk]) == q.brand_id]
    if not questions:
        return []
    now = timezone.now()
    cards = _cards_in_force(questions, now)
    parents = _category_parents(questions, cards)
    earnings: list[Earning] = []
    for question in questions:
        resolved_at = question.resolved_at or now
        card, lines = cards.get(question.pk, (None, []))
        if card is None:
            logger.info(
                "question %s resolved without a rate card in force: no earning", question.pk
            )
            continue
        product = question.product
        chain: list[int] = []
        category_id = product.category_id if product is not None else None
        while category_id is not None and category_id not in chain:
            chain.append(category_id)
            category_id = parents.get(category_id)
        gross = rate_for(card=card, lines=lines, product_id=question.product_id, categories=chain)
        if gross <= 0:
            continue
        fee, net = fee_split(gross=gross, fee_bps=card.platform_fee_bps)
        earnings.append(
            Earning(
                question_id=question.pk,
                expert_id=wanted[question.pk],
                brand_id=question.brand_id,
                rate_card=card,
                currency=card.currency,
                gross=gross,
                fee=fee,
                net=net,
                earned_at=resolved_at,
                clears_at=resolved_at + timedelta(days=card.clearance_days),
            )
        )
    if not earnings:
        return []
    with transaction.atomic(savepoint=False):
        booked = _claim(earnings)
        if not booked:
            return []
        accounts = _accounts(booked)
        entries = []
        for earning in booked:
            payable, pending, platform = (
                accounts[(K.BRAND_PAYABLE, earning.brand_id, earning.currency)],
                accounts[(K.PENDING, earning.expert_id, earning.currency)],
                accounts.get((K.PLATFORM_FEE, None, earning.currency)),
            )
            legs = [(payable, -earning.gross)]
            if earning.net:
                legs.append((pending, earning.net))
            if earning.fee and platform is not None:
                legs.append((platform, earning.fee))
            entries.append(
                LedgerEntry(
                    kind=Transaction.Kind.EARNING,
                    idempotency_key=earning_key(earning.question_id),
                    postings=legs,
                    memo=f"Question #{earning.question_id}",
                    about={
                        "brand_id": earning.brand_id,
                        "expert_id": earning.expert_id,
                        "question_id": earning.question_id,
                    },
                )
            )
        ledger_post_many(entries)
        # The moment a crash hurts most: every row of the batch written, nothing committed.
        failpoint("earnings.batch.booked", ",".join(str(e.question_id) for e in booked))
    return booked


def earnings_book_resolved(
    *, question_id: int, expert_id: int | None, limit: int = EARNINGS_BATCH_SIZE
) -> list[Earning]:
    """The ``question.resolved`` subscriber's booking: this question's earning together with
    those of up to ``limit - 1`` other resolved questions whose event is still waiting for
    payments (oldest first), in one batch (:func:`earnings_book_batch`). Runs in the outbox's
    delivery transaction, next to this event's claim.

    A neighbour that cannot be booked never costs this question its earning: should the
    batch fail, this question is booked alone (a batch of one) and the neighbours wait for
    their own deliveries, which report their own errors.
    """
    neighbours = pending_resolutions(limit=limit - 1, exclude=question_id)
    if not neighbours:
        return earnings_book_batch(resolutions=[(question_id, expert_id)])
    try:
        with transaction.atomic():
            return earnings_book_batch(resolutions=[(question_id, expert_id), *neighbours])
    except Exception:
        logger.exception("earnings batch with question %s failed: booking it alone", question_id)
    return earnings_book_batch(resolutions=[(question_id, expert_id)])


def pending_resolutions(*, limit: int, exclude: int | None = None) -> list[tuple[int, int | None]]:
    """(question id, expert id) of ``question.resolved`` events not yet delivered to payments,
    oldest first (the outbox's undelivered index serves it)."""
    if limit <= 0:
        return []
    payloads = (
        DomainEvent.objects.filter(name="question.resolved", delivered_at__isnull=True)
        # NOT EXISTS on the (event, subscriber) unique index: never a scan of past deliveries.
        .exclude(Exists(EventDelivery.objects.filter(event=OuterRef("pk"), subscriber=SUBSCRIBER)))
        # Booked by an earlier batch, its own delivery not run yet: not pending any more.
        .annotate(question=Cast(KT("payload__question_id"), BigIntegerField()))
        .exclude(Exists(Earning.objects.filter(question_id=OuterRef("question"))))
        .order_by("created_at")
        .values_list("payload", flat=True)[: limit + 1]
    )
    found: list[tuple[int, int | None]] = []
    for payload in payloads:
        question_id = int(payload["question_id"])
        if question_id != exclude and len(found) < limit:
            expert_id = payload.get("expert_id")
            found.append((question_id, int(expert_id) if expert_id else None))
    return found


def _cards_in_force(
    questions: list[Question], now: datetime
) -> dict[int, tuple[RateCard, list[RateCardLine]]]:
    """Each question's rate card in force at its resolution, with its lines: two queries."""
    latest = max(q.resolved_at or now for q in questions)
    by_brand: dict[int, list[RateCard]] = {}
    for card in (
        RateCard.objects.filter(
            brand_id__in={q.brand_id for q in questions}, effective_from__lte=latest
        )
        .prefetch_related("lines")
        .order_by("brand_id", "-effective_from", "-version")
    ):
        by_brand.setdefault(card.brand_id, []).append(card)
    chosen: dict[int, tuple[RateCard, list[RateCardLine]]] = {}
    for question in questions:
        at = question.resolved_at or now
        for card in by_brand.get(question.brand_id, []):
            if card.effective_from <= at:
                chosen[question.pk] = (card, list(card.lines.all()))
                break
    return chosen


def _category_parents(
    questions: list[Question], cards: dict[int, tuple[RateCard, list[RateCardLine]]]
) -> dict[int, int | None]:
    """Category id -> parent id for the brands whose cards price by category (one query, and
    none when no card of the batch has a category line)."""
    brands = {
        q.brand_id
        for q in questions
        if q.pk in cards and any(line.category_id for line in cards[q.pk][1])
    }
    if not brands:
        return {}
    return dict(Category.objects.filter(brand_id__in=brands).values_list("pk", "parent_id"))


def _claim(earnings: list[Earning]) -> list[Earning]:
    """Insert the earnings that nobody has inserted yet and return those (with their ids).

    ``INSERT … ON CONFLICT (question_id) DO NOTHING RETURNING``: a row another transaction
    holds makes this one wait for it and then skip it, so each question is booked by exactly
    one batch. Rows go in question order, so two overlapping batches queue behind each other
    instead of deadlocking.
    """
    earnings = sorted(earnings, key=lambda e: e.question_id)
    fields = [f for f in Earning._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields if f.column)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only our own table and column names and placeholders go into the text; values are
    # parameters.
    sql = (
        f"INSERT INTO {quote(Earning._meta.db_table)} "  # noqa: S608  # nosec B608
        f"({columns}) "
        f"VALUES {', '.join([row] * len(earnings))} "
        f"ON CONFLICT ({quote('question_id')}) DO NOTHING "
        f"RETURNING {quote('id')}, {quote('question_id')}"
    )
    params = [
        f.get_db_prep_save(getattr(earning, f.attname), connection)
        for earning in earnings
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = dict((question_id, pk) for pk, question_id in cursor.fetchall())
    booked = []
    for earning in earnings:
        if earning.question_id in ids:
            earning.pk = ids[earning.question_id]
            earning._state.adding = False
            earning._state.db = connection.alias
            booked.append(earning)
    return booked


def _accounts(earnings: list[Earning]) -> dict[tuple[str, int | None, str], Account]:
    """The batch's accounts keyed (kind, brand or expert id, currency): brand payable per
    brand, pending per expert, platform fee per currency. One read; the missing ones (once in
    each account's life) cost one INSERT and one more read for the whole batch."""
    currencies = {e.currency for e in earnings}
    found: dict[tuple[str, int | None, str], Account] = {}
    for account in Account.objects.filter(
        Q(
            owner_type=Account.Owner.BRAND,
            kind=K.BRAND_PAYABLE,
            brand_id__in={e.brand_id for e in earnings},
        )
        | Q(
            owner_type=Account.Owner.EXPERT,
            kind=K.PENDING,
            expert_id__in={e.expert_id for e in earnings},
        )
        | Q(owner_type=Account.Owner.PLATFORM, kind=K.PLATFORM_FEE),
        currency__in=currencies,
    ):
        found[_account_key(account)] = account
    missing: dict[tuple[str, int | None, str], Account] = {}
    for earning in earnings:
        currency = earning.currency
        wanted: list[tuple[tuple[str, int | None, str], Account]] = [
            (
                (K.BRAND_PAYABLE, earning.brand_id, currency),
                Account(
                    owner_type=Account.Owner.BRAND,
                    brand_id=earning.brand_id,
                    kind=K.BRAND_PAYABLE,
                    currency=currency,
                ),
            ),
            (
                (K.PENDING, earning.expert_id, currency),
                # An expert's accounts carry her brand, which is the earning's (checked above).
                Account(
                    owner_type=Account.Owner.EXPERT,
                    expert_id=earning.expert_id,
                    brand_id=earning.brand_id,
                    kind=K.PENDING,
                    currency=currency,
                ),
            ),
        ]
        if earning.fee:
            wanted.append(
                (
                    (K.PLATFORM_FEE, None, currency),
                    Account(
                        owner_type=Account.Owner.PLATFORM, kind=K.PLATFORM_FEE, currency=currency
                    ),
                )
            )
        for key, account in wanted:
            if key not in found:
                missing.setdefault(key, account)
    if missing:
        # One INSERT for every missing account, in a fixed order (two batches creating the
        # same accounts queue behind each other instead of deadlocking); an account another
        # transaction created meanwhile is skipped by the unique constraints and read back.
        ordered = [missing[key] for key in sorted(missing, key=lambda k: (k[0], k[1] or 0, k[2]))]
        Account.objects.bulk_create(ordered, ignore_conflicts=True)
        for account in Account.objects.filter(
            Q(
                owner_type=Account.Owner.BRAND,
                kind=K.BRAND_PAYABLE,
                brand_id__in={k[1] for k in missing if k[0] == K.BRAND_PAYABLE},
            )
            | Q(
                owner_type=Account.Owner.EXPERT,
                kind=K.PENDING,
                expert_id__in={k[1] for k in missing if k[0] == K.PENDING},
            )
            | Q(owner_type=Account.Owner.PLATFORM, kind=K.PLATFORM_FEE),
            currency__in=currencies,
        ):
            found.setdefault(_account_key(account), account)
    return found


def _account_key(account: Account) -> tuple[str, int | None, str]:
    owner: int | None = None
    if account.owner_type == Account.Owner.BRAND:
        owner = account.brand_id
    elif account.owner_type == Account.Owner.EXPERT:
        owner = account.expert_id
    return (account.kind, owner, account.currency)
