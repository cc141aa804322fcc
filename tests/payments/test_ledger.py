"""ledger_post: balanced, idempotent, append-only; fee splits that always add up."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigcx.exceptions import ApplicationError
from payments.ledger import (
    InsufficientFunds,
    LedgerConflict,
    account_balance,
    account_for_brand,
    account_for_expert,
    account_for_platform,
    ledger_post,
)
from payments.models import Account, Posting, Transaction, format_money
from payments.services.rate_cards import fee_split

pytestmark = pytest.mark.django_db

K = Account.Kind


@pytest.fixture
def accounts(cast: Any) -> tuple[Account, Account, Account]:
    return (
        account_for_brand(brand=cast.acme, kind=K.BRAND_PAYABLE, currency="EUR"),
        account_for_expert(expert=cast.ada_expert, kind=K.AVAILABLE, currency="EUR"),
        account_for_platform(kind=K.PLATFORM_FEE, currency="EUR"),
    )


def test_a_balanced_entry_is_posted_and_balances_are_sums(accounts: Any) -> None:
    brand, ada, platform = accounts
    ledger_post(
        kind="earning", idempotency_key="k1", postings=[(brand, -500), (ada, 425), (platform, 75)]
    )
    assert (account_balance(brand.pk), account_balance(ada.pk), account_balance(platform.pk)) == (
        -500,
        425,
        75,
    )


def test_replaying_the_same_key_returns_the_original_and_writes_nothing(accounts: Any) -> None:
    brand, ada, _ = accounts
    first = ledger_post(kind="earning", idempotency_key="k1", postings=[(brand, -500), (ada, 500)])
    again = ledger_post(kind="earning", idempotency_key="k1", postings=[(ada, 500), (brand, -500)])
    assert again.pk == first.pk
    assert Posting.objects.count() == 2


@pytest.mark.parametrize(
    "postings_of",
    [
        lambda b, a: [(b, -500), (a, 499)],  # other amounts
        lambda b, a: [(b, -500), (b, 500)],  # other accounts
    ],
)
def test_the_same_key_with_another_payload_is_refused(accounts: Any, postings_of: Any) -> None:
    brand, ada, _ = accounts
    ledger_post(kind="earning", idempotency_key="k1", postings=[(brand, -500), (ada, 500)])
    with pytest.raises((LedgerConflict, ApplicationError)):
        ledger_post(kind="earning", idempotency_key="k1", postings=postings_of(brand, ada))
    with pytest.raises(LedgerConflict):
        ledger_post(kind="bonus", idempotency_key="k1", postings=[(brand, -500), (ada, 500)])
    assert Transaction.objects.count() == 1


def test_unbalanced_mixed_currency_zero_and_single_leg_entries_are_refused(
    cast: Any, accounts: Any
) -> None:
    brand, ada, _ = accounts
    usd = account_for_expert(expert=cast.ada_expert, kind=K.PENDING, currency="USD")
    for postings in (
        [(brand, -500), (ada, 400)],
        [(brand, -500), (usd, 500)],
        [(brand, 0), (ada, 0)],
        [(ada, 1)],
    ):
        with pytest.raises(ApplicationError):
            ledger_post(kind="earning", idempotency_key="bad", postings=postings)
    assert Transaction.objects.count() == 0


def test_an_expert_account_never_goes_negative(accounts: Any) -> None:
    brand, ada, _ = accounts
    ledger_post(kind="earning", idempotency_key="in", postings=[(brand, -300), (ada, 300)])
    with pytest.raises(InsufficientFunds):
        ledger_post(kind="payout", idempotency_key="out", postings=[(ada, -301), (brand, 301)])
    assert account_balance(ada.pk) == 300


@given(
    gross=st.integers(min_value=0, max_value=10**9), bps=st.integers(min_value=0, max_value=10000)
)
def test_fee_and_net_always_sum_to_gross(gross: int, bps: int) -> None:
    fee, net = fee_split(gross=gross, fee_bps=bps)
    assert fee + net == gross
    assert 0 <= fee <= gross
    assert abs(fee * 10000 - gross * bps) <= 5000  # rounded half up to one minor unit


def test_money_is_formatted_with_the_currency_exponent() -> None:
    assert format_money(123456, "EUR") == "1,234.56 EUR"
    assert format_money(500, "JPY") == "500 JPY"
    assert format_money(-5, "EUR") == "-0.05 EUR"
