"""Real concurrency on PostgreSQL for money: simultaneous payout requests by one expert,
simultaneous batch runs, and the same ledger key posted from many connections at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.exceptions import ApplicationError
from payments import services
from payments.ledger import account_balance, account_for_brand, account_for_expert, ledger_post
from payments.models import Account, Payout, Transaction
from tests.payments.conftest import IBAN
from tests.races.test_accept_races import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("held_tasks"),
]

K = Account.Kind


def fund(cast: Any, amount: int) -> None:
    """Give ada ``amount`` available (a booked, cleared earning through the ledger)."""
    brand = account_for_brand(brand=cast.acme, kind=K.BRAND_PAYABLE, currency="EUR")
    pending = account_for_expert(expert=cast.ada_expert, kind=K.PENDING, currency="EUR")
    available = account_for_expert(expert=cast.ada_expert, kind=K.AVAILABLE, currency="EUR")
    ledger_post(
        kind="earning", idempotency_key="fund:in", postings=[(brand, -amount), (pending, amount)]
    )
    ledger_post(
        kind="clearance",
        idempotency_key="fund:clear",
        postings=[(pending, -amount), (available, amount)],
    )


def test_40_simultaneous_payout_requests_never_pay_more_than_is_available(
    require_postgres: None, cast: Any
) -> None:
    # given: 100.00 available; each request asks for 80 % of it
    fund(cast, 10000)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)

    def request() -> str:
        try:
            services.payout_request(user=cast.ada, brand=cast.acme, amount=8000, currency="EUR")
            return "paid"
        except ApplicationError as exc:
            return exc.code

    # when
    results = run_together([request] * 40)

    # then
    assert results.count("paid") == 1
    assert set(results) == {"paid", "insufficient_funds"}
    available = account_for_expert(expert=cast.ada_expert, kind=K.AVAILABLE, currency="EUR")
    assert account_balance(available.pk) == 2000
    assert Payout.objects.count() == 1


def test_many_small_simultaneous_requests_stop_exactly_at_zero(
    require_postgres: None, cast: Any
) -> None:
    fund(cast, 10000)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)

    def request() -> bool:
        try:
            services.payout_request(user=cast.ada, brand=cast.acme, amount=1000, currency="EUR")
            return True
        except ApplicationError:
            return False

    results = run_together([request] * 40)

    assert results.count(True) == 10
    assert sum(Payout.objects.values_list("amount", flat=True)) == 10000
    available = account_for_expert(expert=cast.ada_expert, kind=K.AVAILABLE, currency="EUR")
    assert account_balance(available.pk) == 0


def test_two_batch_runs_at_once_pay_each_balance_once(require_postgres: None, cast: Any) -> None:
    fund(cast, 5000)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)

    run_together([lambda: services.payout_batch_run(brand=cast.acme, actor=cast.sam)] * 8)

    assert list(Payout.objects.values_list("amount", flat=True)) == [5000]


def test_the_same_ledger_key_from_many_connections_posts_once(
    require_postgres: None, cast: Any
) -> None:
    brand = account_for_brand(brand=cast.acme, kind=K.BRAND_PAYABLE, currency="EUR")
    pending = account_for_expert(expert=cast.ada_expert, kind=K.PENDING, currency="EUR")

    results = run_together(
        [
            lambda: (
                ledger_post(
                    kind="earning",
                    idempotency_key="earning:race",
                    postings=[(brand, -700), (pending, 700)],
                ).pk
            )
        ]
        * 40
    )

    assert len(set(results)) == 1
    assert Transaction.objects.count() == 1
    assert account_balance(pending.pk) == 700
    assert timezone.now() - Transaction.objects.get().created_at < timedelta(minutes=5)


def test_one_idempotency_key_sent_by_many_connections_makes_one_payout(
    require_postgres: None, cast: Any
) -> None:
    fund(cast, 10000)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)

    def request() -> int:
        return services.payout_request(
            user=cast.ada, brand=cast.acme, amount=1000, currency="EUR", client_key="tap-once"
        ).pk

    results = run_together([request] * 30)

    assert len(set(results)) == 1
    assert Payout.objects.count() == 1
