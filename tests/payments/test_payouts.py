"""Payouts against a local fake of Stripe: committed before the call, called outside any
transaction, recorded afterwards; every crash point recovers to exactly one transfer."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from gigcx.exceptions import ApplicationError, ConflictError
from gigcx.models import AuditEvent
from payments import services
from payments.ledger import account_balance, account_for_expert
from payments.models import Account, Payout, Transaction
from payments.providers import StripeConnectProvider, TransientProviderError
from payments.services import payouts as payout_module
from payments.tasks import send_payouts
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db

K = Account.Kind


def available(expert: Any) -> int:
    return account_balance(account_for_expert(expert=expert, kind=K.AVAILABLE, currency="EUR").pk)


def paid_out(expert: Any) -> int:
    return account_balance(account_for_expert(expert=expert, kind=K.PAID_OUT, currency="EUR").pk)


@pytest.fixture
def ada_on_stripe(cast: Any, earned: Any) -> Any:
    earned(cast.ada, 4)  # 4 x 5.10 = 20.40 available
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    return cast.ada


def recover(settings: Any) -> int:
    """What the beat sweeper does once the lease of a crashed attempt has run out."""
    settings.PAYOUT_SEND_LEASE_SECONDS = 0
    return send_payouts.delay().get()


def test_a_request_commits_the_payout_and_takes_the_money_out_of_available(
    cast: Any, ada_on_stripe: Any
) -> None:
    payout = services.payout_request(user=cast.ada, brand=cast.acme, amount=1500)

    assert payout.status == "requested"
    assert payout.idempotency_key.startswith("gigcx-payout-")
    assert (available(cast.ada_expert), paid_out(cast.ada_expert)) == (540, 1500)
    assert Transaction.objects.get(kind="payout").payout == payout
    assert AuditEvent.objects.filter(action="payout.requested", target_id=str(payout.pk)).exists()


@pytest.mark.parametrize(
    ("amount", "error"),
    [(999, ApplicationError), (2041, ConflictError)],
    ids=["below-minimum", "above-available"],
)
def test_requests_below_the_minimum_or_above_the_balance_are_refused(
    cast: Any, ada_on_stripe: Any, amount: int, error: type
) -> None:
    with pytest.raises(error):
        services.payout_request(user=cast.ada, brand=cast.acme, amount=amount)
    assert not Payout.objects.exists()
    assert available(cast.ada_expert) == 2040


def test_sending_pays_once_with_the_stored_key(
    cast: Any, ada_on_stripe: Any, fake_stripe: Any
) -> None:
    payout = services.payout_request(user=cast.ada, brand=cast.acme)

    sent = services.payout_send(payout_id=payout.pk)
    services.payout_send(payout_id=payout.pk)  # a duplicate task: nothing to claim

    assert sent.status == "paid"
    assert sent.provider_reference == "tr_000001"
    [transfer] = fake_stripe.transfers
    assert transfer["idempotency_key"] == payout.idempotency_key
    assert (transfer["amount"], transfer["currency"], transfer["destination"]) == (
        2040,
        "eur",
        "acct_1AdaLovelace",
    )
    assert transfer["metadata"] == {"payout_id": str(payout.pk)}
    assert len(fake_stripe.requests) == 1


def test_the_provider_is_never_called_inside_a_transaction(
    cast: Any, ada_on_stripe: Any, fake_stripe: Any
) -> None:
    payout = services.payout_request(user=cast.ada, brand=cast.acme)
    with (
        pytest.raises(RuntimeError, match="outside any database transaction"),
        transaction.atomic(),
    ):
        services.payout_send(payout_id=payout.pk)
    assert fake_stripe.requests == []


@pytest.mark.parametrize(
    "crash_point", ["before-call", "unavailable", "timeout", "died-after-call"]
)
def test_every_crash_point_recovers_to_exactly_one_transfer(
    cast: Any,
    ada_on_stripe: Any,
    fake_stripe: Any,
    settings: Any,
    monkeypatch: Any,
    crash_point: str,
) -> None:
    # given: a committed payout
    payout = services.payout_request(user=cast.ada, brand=cast.acme)

    # when: the first attempt dies at the crash point
    class ProcessDied(BaseException):
        """Stands in for SIGKILL: nothing after it runs, no except clause catches it."""

    if crash_point == "before-call":
        monkeypatch.setattr(
            StripeConnectProvider, "send", lambda self, p: (_ for _ in ()).throw(ProcessDied())
        )
        with pytest.raises(ProcessDied):
            services.payout_send(payout_id=payout.pk)
        monkeypatch.undo()
    elif crash_point == "died-after-call":

        def die(**kwargs: Any) -> None:
            raise ProcessDied()

        monkeypatch.setattr(payout_module, "payout_record_outcome", die)
        with pytest.raises(ProcessDied):
            services.payout_send(payout_id=payout.pk)
        monkeypatch.undo()
    else:
        fake_stripe.script = [crash_point]
        with pytest.raises(TransientProviderError):
            services.payout_send(payout_id=payout.pk)
    payout.refresh_from_db()
    assert payout.status == "sending"  # neither paid nor lost: waiting for recovery

    # a sweep while the attempt's lease is fresh leaves it alone (it may still be running)
    if crash_point in ("before-call", "died-after-call"):
        assert send_payouts.delay().get() == 0

    # then: recovery pays it exactly once, with the same key
    assert recover(settings) == 1
    assert recover(settings) == 0
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert len(fake_stripe.transfers_for(payout.idempotency_key)) == 1
    assert len(fake_stripe.transfers) == 1
    assert {r["idempotency_key"] for r in fake_stripe.requests} == {payout.idempotency_key}
    assert paid_out(cast.ada_expert) == 2040
    assert available(cast.ada_expert) == 0


@pytest.mark.parametrize("failure", ["card_error", "account_error"])
def test_a_permanent_refusal_fails_the_payout_and_returns_the_money(
    cast: Any, ada_on_stripe: Any, fake_stripe: Any, settings: Any, failure: str
) -> None:
    fake_stripe.script = [failure]
    payout = services.payout_request(user=cast.ada, brand=cast.acme, amount=2000)

    done = services.payout_send(payout_id=payout.pk)
    recover(settings)  # not retried

    assert done.status == "failed"
    assert done.failure_reason
    assert len(fake_stripe.requests) == 1
    assert fake_stripe.transfers == []
    assert (available(cast.ada_expert), paid_out(cast.ada_expert)) == (2040, 0)
    assert Transaction.objects.get(kind="payout_return").reverses.kind == "payout"


def test_a_brand_batch_pays_everyone_available_and_exports_bank_lines(
    cast: Any, earned: Any, fake_stripe: Any, tent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: ada on Stripe with 20.40, grace on a bank account with 2 x 4.00 - fee = 6.80 (< 10)
    earned(cast.ada, 4)
    earned(cast.grace, 3, tent)
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    services.payout_destination_set(
        user=cast.grace, provider="bank", account_holder="Grace Hopper", iban=IBAN
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    again = services.payout_batch_run(brand=cast.acme, actor=cast.sam)

    # then: both paid in full (grace 3 x 3.40 = 10.20); the second run finds nothing left
    lines = {p.expert.user: p for p in batch.payouts.all()}
    assert lines[cast.ada].amount == 2040
    assert lines[cast.ada].status == "paid"
    assert lines[cast.grace].amount == 1020
    assert lines[cast.grace].status == "sending"
    assert again.payouts.count() == 0
    assert len(fake_stripe.transfers) == 1
    # staff confirm the bank upload
    assert (
        services.payout_mark_paid(
            brand=cast.acme, payout_ids=[lines[cast.grace].pk, lines[cast.ada].pk], actor=cast.sam
        )
        == 1
    )
    assert Payout.objects.get(pk=lines[cast.grace].pk).status == "paid"


def test_destinations_store_only_what_is_needed_and_show_it_masked(cast: Any) -> None:
    with pytest.raises(ApplicationError):
        services.payout_destination_set(
            user=cast.ada, provider="bank", account_holder="Ada", iban="DE00123"
        )
    with pytest.raises(ApplicationError):
        services.payout_destination_set(user=cast.ada, provider="stripe", stripe_account="1234")
    bank = services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada", iban="de89 3704 0044 0532 0130 00"
    )
    assert bank.iban == IBAN
    assert bank.masked == "DE•• •••• 3000"
    stripe = services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace", iban=IBAN
    )
    assert stripe.iban == ""
    assert stripe.masked == "acct_…lace"
    assert list(cast.ada.payout_destinations.filter(is_active=True)) == [stripe]
