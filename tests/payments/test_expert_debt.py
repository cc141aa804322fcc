"""Clawbacks beyond the available balance (issue 11): an earning reversed after its money was
paid out takes what ``available`` holds and books the rest to the expert's debt account; the
available balance never goes below zero, the ledger stays balanced, and later earnings repay
the debt before anything reaches ``available`` again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gigcx.models import AuditEvent
from payments import services
from payments.ledger import account_balance, account_for_expert, accounts_reconcile
from payments.models import Account, Earning, Posting, Transaction
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db

K = Account.Kind


def balance(expert: Any, kind: str) -> int:
    return account_balance(account_for_expert(expert=expert, kind=kind, currency="EUR").pk)


def assert_ledger_consistent() -> None:
    assert Posting.objects.aggregate(total=Sum("amount"))["total"] == 0
    for entry in Transaction.objects.all():
        assert sum(entry.postings.values_list("amount", flat=True)) == 0, entry
    assert accounts_reconcile() == []


@pytest.fixture
def paid_out(cast: Any, earned: Any) -> Any:
    """``paid_out(amount)``: two cleared earnings of 5.10 (10.20 available), then a bank
    payout of ``amount``; returns the earnings."""

    def run(amount: int) -> list[Earning]:
        earnings = earned(cast.ada, 2)
        services.payout_destination_set(
            user=cast.ada, provider="bank", account_holder="Ada L", iban=IBAN
        )
        services.payout_request(user=cast.ada, brand=cast.acme, amount=amount)
        return earnings

    return run


def test_a_clawback_beyond_the_balance_books_the_rest_as_debt(cast: Any, paid_out: Any) -> None:
    # given: 10.20 earned, 10.00 paid out, 0.20 left available
    earning = paid_out(1000)[0]
    assert balance(cast.ada_expert, K.AVAILABLE) == 20
    # when: a 5.10 earning is reversed
    reversed_ = services.earning_reverse(
        earning_id=earning.pk, actor=cast.sam, reason="late dispute"
    )
    # then: 0.20 comes out of available, 4.90 is owed; nothing goes negative
    assert reversed_.status == "reversed"
    assert balance(cast.ada_expert, K.AVAILABLE) == 0
    assert balance(cast.ada_expert, K.EXPERT_DEBT) == -490
    assert_ledger_consistent()
    event = AuditEvent.objects.get(action="earning.reversed", target_id=str(earning.pk))
    assert event.data == {"debt_booked": 490, "currency": "EUR"}
    assert event.actor == cast.sam


def test_a_clawback_with_nothing_available_is_all_debt_and_replays_change_nothing(
    cast: Any, paid_out: Any
) -> None:
    earning = paid_out(1020)[0]
    assert balance(cast.ada_expert, K.AVAILABLE) == 0
    services.earning_reverse(earning_id=earning.pk, actor=cast.sam, reason="chargeback")
    services.earning_reverse(earning_id=earning.pk, actor=cast.sam, reason="chargeback")
    assert balance(cast.ada_expert, K.AVAILABLE) == 0
    assert balance(cast.ada_expert, K.EXPERT_DEBT) == -510
    assert Transaction.objects.filter(kind="earning_reversal").count() == 1
    assert_ledger_consistent()


def test_later_earnings_repay_the_debt_first(cast: Any, paid_out: Any, resolve: Any) -> None:
    # given: ada owes 5.10
    earning = paid_out(1020)[0]
    services.earning_reverse(earning_id=earning.pk, actor=cast.sam, reason="chargeback")
    # when: a new 5.10 earning clears, then another
    resolve(cast.ada)
    services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    # then: the first repays the whole debt, nothing reaches available
    assert balance(cast.ada_expert, K.EXPERT_DEBT) == 0
    assert balance(cast.ada_expert, K.AVAILABLE) == 0
    resolve(cast.ada)
    services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    assert balance(cast.ada_expert, K.AVAILABLE) == 510
    assert_ledger_consistent()


def test_a_partial_repayment_leaves_the_rest_owed(
    cast: Any, rate_card: Any, paid_out: Any, resolve: Any
) -> None:
    # given: two earnings reversed after payout: 10.20 owed
    for earning in paid_out(1020):
        services.earning_reverse(earning_id=earning.pk, actor=cast.sam, reason="chargeback")
    assert balance(cast.ada_expert, K.EXPERT_DEBT) == -1020
    # when: one 5.10 earning clears
    resolve(cast.ada)
    services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    # then: 5.10 still owed, and available stays at zero
    assert balance(cast.ada_expert, K.EXPERT_DEBT) == -510
    assert balance(cast.ada_expert, K.AVAILABLE) == 0
    assert_ledger_consistent()


def test_a_failed_payout_repays_the_debt_before_returning_to_available(
    cast: Any, earned: Any
) -> None:
    # given: 20.40 earned and all of it out in a batch's bank file; then an earning (5.10)
    # is reversed: all of it is owed
    earnings = earned(cast.ada, 4)
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada L", iban=IBAN
    )
    batch = services.payout_batch_run(brand=cast.acme, actor=cast.maya)
    [payout] = batch.payouts.all()
    assert payout.amount == 2040
    services.earning_reverse(earning_id=earnings[0].pk, actor=cast.sam, reason="chargeback")
    assert balance(cast.ada_expert, K.EXPERT_DEBT) == -510
    # when: the bank rejects the payout and its money comes back
    services.payout_mark_failed(
        brand=cast.acme, payout_id=payout.pk, actor=cast.maya, reason="closed account"
    )
    # then: the debt is repaid from it first
    assert balance(cast.ada_expert, K.EXPERT_DEBT) == 0
    assert balance(cast.ada_expert, K.AVAILABLE) == 2040 - 510
    assert_ledger_consistent()


def test_the_earnings_page_shows_what_the_expert_owes(cast: Any, paid_out: Any) -> None:
    earning = paid_out(1020)[0]
    client = Client()
    client.force_login(cast.ada)
    page = client.get(reverse("payments:expert-earnings")).content.decode()
    assert "You owe" not in page
    services.earning_reverse(earning_id=earning.pk, actor=cast.sam, reason="chargeback")

    page = client.get(reverse("payments:expert-earnings")).content.decode()

    assert "You owe" in page
    assert "5.10 EUR" in page
    assert "Your next earnings there repay it first" in page


def test_the_brand_payouts_page_shows_the_experts_debt(cast: Any, paid_out: Any) -> None:
    earning = paid_out(1020)[0]
    services.earning_reverse(earning_id=earning.pk, actor=cast.sam, reason="chargeback")
    client = Client()
    client.force_login(cast.maya)
    page = client.get(reverse("payments:brand-payouts", args=[cast.acme.slug])).content.decode()
    assert "owes 5.10 EUR" in page
