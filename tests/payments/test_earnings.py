"""Earnings: booked once per resolved question, priced by the rate card in force, cleared
after the clearance period unless held; staff hold, release and reverse with a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.events import event_deliver, event_record
from gigcx.exceptions import ApplicationError
from gigcx.models import AuditEvent, DomainEvent
from payments import services
from payments.ledger import (
    account_balance,
    account_for_brand,
    account_for_expert,
    account_for_platform,
)
from payments.models import Account, Earning, Transaction
from payments.tasks import clear_earnings

pytestmark = pytest.mark.django_db

K = Account.Kind


def balance(expert: Any, kind: str) -> int:
    return account_balance(account_for_expert(expert=expert, kind=kind, currency="EUR").pk)


def test_resolving_books_a_pending_earning_split_between_expert_and_platform(
    cast: Any, rate_card: Any, resolve: Any
) -> None:
    # when
    question = resolve(cast.ada)
    # then: the trail-shoe line (6.00) wins over the default (4.00); 15 % fee
    earning = Earning.objects.get(question=question)
    assert (earning.gross, earning.fee, earning.net, earning.status) == (600, 90, 510, "pending")
    assert earning.clears_at == earning.earned_at + timedelta(days=3)
    entry = Transaction.objects.get(idempotency_key=f"earning:{question.pk}")
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-600, 90, 510]
    assert balance(cast.ada_expert, K.PENDING) == 510
    assert (
        account_balance(account_for_brand(brand=cast.acme, kind=K.BRAND_PAYABLE, currency="EUR").pk)
        == -600
    )
    assert account_balance(account_for_platform(kind=K.PLATFORM_FEE, currency="EUR").pk) == 90


def test_redelivering_the_event_and_recording_it_again_books_once(
    cast: Any, rate_card: Any, resolve: Any
) -> None:
    question = resolve(cast.ada)
    event = DomainEvent.objects.get(name="question.resolved", payload__question_id=question.pk)
    # the outbox sweeper delivers again; a second event with the same payload arrives too
    DomainEvent.objects.filter(pk=event.pk).update(delivered_at=None)
    event_deliver(event_id=str(event.pk))
    twin = event_record(name="question.resolved", payload=event.payload, brand_id=cast.acme.pk)
    event_deliver(event_id=str(twin.pk))
    services.earning_book(question_id=question.pk, expert_id=cast.ada_expert.pk)

    assert Earning.objects.filter(question=question).count() == 1
    assert Transaction.objects.filter(kind="earning").count() == 1
    assert balance(cast.ada_expert, K.PENDING) == 510


def test_the_category_line_applies_when_no_product_line_does(
    cast: Any, tent: Any, resolve: Any
) -> None:
    services.rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=400,
        platform_fee_bps=0,
        lines=[{"category_id": tent.category_id, "amount": 700}],
    )
    question = resolve(cast.grace, tent)
    assert Earning.objects.get(question=question).net == 700


def test_a_rate_card_change_applies_only_to_questions_resolved_after_it(
    cast: Any, rate_card: Any, resolve: Any
) -> None:
    before = resolve(cast.ada)
    services.rate_card_create(
        brand=cast.acme, actor=cast.maya, currency="EUR", default_amount=1000, platform_fee_bps=1000
    )
    after = resolve(cast.ada)

    assert Earning.objects.get(question=before).gross == 600
    assert Earning.objects.get(question=after).gross == 1000
    assert list(cast.acme.rate_cards.values_list("version", flat=True).order_by("version")) == [
        1,
        2,
    ]
    audit = AuditEvent.objects.filter(action="rate_card.changed", brand_id=cast.acme.pk).first()
    assert audit is not None
    assert audit.actor == cast.maya
    assert audit.data["version"] == 2


def test_no_rate_card_means_no_earning(cast: Any, resolve: Any) -> None:
    question = resolve(cast.ada)
    assert not Earning.objects.filter(question=question).exists()
    assert not Transaction.objects.exists()


def test_clearing_moves_due_earnings_to_available_once(
    cast: Any, rate_card: Any, resolve: Any
) -> None:
    resolve(cast.ada)
    assert services.earnings_clear_due(now=timezone.now() + timedelta(days=2)) == 0
    assert services.earnings_clear_due(now=timezone.now() + timedelta(days=3, minutes=1)) == 1
    assert services.earnings_clear_due(now=timezone.now() + timedelta(days=9)) == 0
    assert (balance(cast.ada_expert, K.PENDING), balance(cast.ada_expert, K.AVAILABLE)) == (0, 510)
    assert Earning.objects.get().status == "available"


def test_the_beat_task_clears_due_earnings(cast: Any, rate_card: Any, resolve: Any) -> None:
    question = resolve(cast.ada)
    Earning.objects.filter(question=question).update(
        clears_at=timezone.now() - timedelta(seconds=1)
    )
    assert clear_earnings.delay().get() == 1
    assert balance(cast.ada_expert, K.AVAILABLE) == 510


def test_a_held_earning_does_not_clear_until_released(
    cast: Any, rate_card: Any, resolve: Any
) -> None:
    earning = Earning.objects.get(question=resolve(cast.ada))
    services.earning_hold(
        earning_id=earning.pk, actor=cast.maya, reason="Customer disputes the answer"
    )
    Earning.objects.filter(pk=earning.pk).update(clears_at=timezone.now() - timedelta(days=1))

    assert services.earnings_clear_due() == 0
    assert balance(cast.ada_expert, K.AVAILABLE) == 0

    released = services.earning_release(
        earning_id=earning.pk, actor=cast.maya, reason="Checked: fine"
    )
    assert released.status == "available"  # past its date: clears at once
    assert balance(cast.ada_expert, K.AVAILABLE) == 510
    actions = set(
        AuditEvent.objects.filter(
            target_type="payments.earning", target_id=str(earning.pk)
        ).values_list("action", flat=True)
    )
    assert actions == {"earning.held", "earning.released"}


@pytest.mark.parametrize("cleared", [False, True])
def test_reversing_posts_a_reversing_transaction_and_restores_every_balance(
    cast: Any, rate_card: Any, resolve: Any, cleared: bool
) -> None:
    earning = Earning.objects.get(question=resolve(cast.ada))
    if cleared:
        services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    original = Transaction.objects.get(kind="earning")

    services.earning_reverse(earning_id=earning.pk, actor=cast.sam, reason="Answer was wrong")
    services.earning_reverse(
        earning_id=earning.pk, actor=cast.sam, reason="Answer was wrong"
    )  # replay

    reversal = Transaction.objects.get(kind="earning_reversal")
    assert reversal.reverses == original
    assert sorted(reversal.postings.values_list("amount", flat=True)) == [-510, -90, 600]
    assert balance(cast.ada_expert, K.PENDING) == balance(cast.ada_expert, K.AVAILABLE) == 0
    assert (
        account_balance(account_for_brand(brand=cast.acme, kind=K.BRAND_PAYABLE, currency="EUR").pk)
        == 0
    )
    assert Earning.objects.get(pk=earning.pk).status == "reversed"
    assert original.postings.count() == 3  # the original is untouched
    assert (
        AuditEvent.objects.filter(action="earning.reversed", reason="Answer was wrong").count() == 1
    )


def test_a_top_rating_books_the_bonus_and_a_low_rating_holds(
    cast: Any, rate_card: Any, resolve: Any
) -> None:
    top, low = resolve(cast.ada), resolve(cast.ada)
    for question, rating in ((top, 5), (top, 5), (low, 1)):
        event = event_record(
            name="question.rated",
            payload={"question_id": question.pk, "rating": rating},
            brand_id=cast.acme.pk,
        )
        event_deliver(event_id=str(event.pk))

    assert Earning.objects.get(question=top).bonus == 100
    assert Transaction.objects.filter(kind="bonus").count() == 1
    assert Earning.objects.get(question=low).status == "held"
    assert balance(cast.ada_expert, K.PENDING) == 510 * 2 + 100
    services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    assert balance(cast.ada_expert, K.AVAILABLE) == 610


@pytest.mark.parametrize(
    ("change", "field"),
    [({"clearance_days": -1}, "clearance_days"), ({"hold_below_rating": 6}, "hold_below_rating")],
)
def test_rate_card_values_out_of_range_are_refused(cast: Any, change: dict, field: str) -> None:
    values = {"currency": "EUR", "default_amount": 400, "platform_fee_bps": 0, **change}
    with pytest.raises(ApplicationError) as refused:
        services.rate_card_create(brand=cast.acme, actor=cast.sam, **values)
    assert field in refused.value.fields
