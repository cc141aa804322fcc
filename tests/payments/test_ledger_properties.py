"""Property-based model test of the money flow (RELIABILITY 44).

Hypothesis drives random sequences of resolutions, clearances, holds, reversals, payout
requests, batch runs and provider outcomes (paid, refused, unavailable, timed out) — and
replays of each — and after every step checks:

- every transaction's postings sum to zero, and so does the whole ledger;
- no expert account (pending, available, paid out) is negative;
- per expert: total paid out == total cleared − what is still available, and paid out equals
  the payouts that are not failed; pending equals the earnings still pending or held;
- replaying an operation (event redelivery, a second clearing sweep, a second reversal, a
  second send) changes nothing;
- the provider made at most one transfer per payout key, and exactly one for a paid payout.

Each example runs in a savepoint that is rolled back at its end, so examples do not leak.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from gigcx.events import event_deliver, event_record
from gigcx.exceptions import ApplicationError
from payments import services
from payments.models import Account, Earning, Payout, Posting, Transaction
from payments.providers import BankFileProvider, Outcome, TransientProviderError
from payments.services import payouts as payout_module
from routing.models import Question
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db

K = Account.Kind


class FakeProvider:
    """In-process Stripe with its idempotency rule: a key's first executed result is final."""

    def __init__(self) -> None:
        self.next = "paid"
        self.results: dict[str, Outcome] = {}
        self.transfers: dict[str, int] = {}

    def send(self, payout: Payout) -> Outcome:
        key = payout.idempotency_key
        if key in self.results:
            return self.results[key]
        if self.next == "unavailable":
            raise TransientProviderError("503")
        if self.next == "failed":
            self.results[key] = Outcome("failed", reason="account closed")
            return self.results[key]
        self.transfers[key] = self.transfers.get(key, 0) + 1
        self.results[key] = Outcome("paid", reference=f"tr_{len(self.transfers)}")
        if self.next == "timeout":
            raise TransientProviderError("timed out")
        return self.results[key]


def ledger_fingerprint() -> str:
    rows = list(Posting.objects.order_by("pk").values_list("pk", "account_id", "amount"))
    states = list(Earning.objects.order_by("pk").values_list("pk", "status"))
    payouts = list(Payout.objects.order_by("pk").values_list("pk", "status"))
    return hashlib.sha256(repr((rows, states, payouts)).encode()).hexdigest()


def balance(expert_id: int, kind: str) -> int:
    total = Posting.objects.filter(
        account__expert_id=expert_id, account__kind=kind, account__currency="EUR"
    ).aggregate(t=Sum("amount"))["t"]
    return int(total or 0)


class MoneyMachine(RuleBasedStateMachine):
    cast: Any = None
    django_settings: Any = None  # pytest-django's settings fixture: restored after the test
    products: list[Any] = []
    provider: FakeProvider

    def __init__(self) -> None:
        super().__init__()
        # A savepoint per example; marked like TestCase's own blocks so durable services run.
        self._atomic = transaction.atomic()
        self._atomic._from_testcase = True
        self._atomic.__enter__()
        self.clock = timezone.now()
        self.experts = [self.cast.ada_expert, self.cast.acme.experts.get(user=self.cast.grace)]
        self.provider = FakeProvider()
        type(self).current_provider = self.provider
        services.payout_destination_set(
            user=self.cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
        )
        services.payout_destination_set(
            user=self.cast.grace, provider="bank", account_holder="Grace", iban=IBAN
        )

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _pick(self, queryset: Any, index: int) -> Any:
        rows = list(queryset.order_by("pk"))
        return rows[index % len(rows)] if rows else None

    def _unchanged(self, action: Any) -> None:
        before = ledger_fingerprint()
        action()
        assert ledger_fingerprint() == before

    @rule(who=st.integers(0, 1), product=st.integers(0, 2))
    def resolve(self, who: int, product: int) -> None:
        expert = self.experts[who]
        question = Question.objects.create(
            brand=self.cast.acme,
            product=self.products[product],
            body="How do I…?",
            status=Question.Status.RESOLVED,
            resolved_at=self.clock,
        )
        payload = {"question_id": question.pk, "expert_id": expert.pk, "product_id": None}
        event = event_record(name="question.resolved", payload=payload, brand_id=self.cast.acme.pk)
        event_deliver(event_id=str(event.pk))
        assert Earning.objects.filter(question=question).count() == 1
        # replay: the same event again, and a duplicate event
        twin = event_record(name="question.resolved", payload=payload, brand_id=self.cast.acme.pk)
        self._unchanged(lambda: event_deliver(event_id=str(twin.pk)))

    @initialize()
    def some_money_has_cleared(self) -> None:
        for who in (0, 1, 0, 1, 0):
            self.resolve(who, who)
        self.time_passes_and_earnings_clear(3)

    @rule(days=st.integers(1, 4))
    def time_passes_and_earnings_clear(self, days: int) -> None:
        self.clock += timedelta(days=days)
        services.earnings_clear_due(now=self.clock)
        self._unchanged(lambda: services.earnings_clear_due(now=self.clock))

    @rule(index=st.integers(0, 50))
    def hold_or_release(self, index: int) -> None:
        earning = self._pick(Earning.objects.filter(status__in=["pending", "held"]), index)
        if earning is None:
            return
        if earning.status == "pending":
            services.earning_hold(earning_id=earning.pk, actor=self.cast.sam, reason="check")
        else:
            services.earning_release(earning_id=earning.pk, actor=self.cast.sam, reason="ok")

    @rule(index=st.integers(0, 50))
    def reverse(self, index: int) -> None:
        earning = self._pick(Earning.objects.all(), index)
        if earning is None:
            return
        before = ledger_fingerprint()
        try:
            services.earning_reverse(earning_id=earning.pk, actor=self.cast.sam, reason="refund")
        except ApplicationError:
            assert ledger_fingerprint() == before  # refused: nothing moved
            return
        self._unchanged(
            lambda: services.earning_reverse(
                earning_id=earning.pk, actor=self.cast.sam, reason="refund"
            )
        )

    @rule(who=st.integers(0, 1), amount=st.one_of(st.none(), st.integers(900, 2500)))
    def request_payout(self, who: int, amount: int | None) -> None:
        expert = self.experts[who]
        before = ledger_fingerprint()
        try:
            services.payout_request(user=expert.user, brand=self.cast.acme, amount=amount)
        except ApplicationError:
            assert ledger_fingerprint() == before

    @rule()
    def run_batch(self) -> None:
        services.payout_batch_run(brand=self.cast.acme, actor=self.cast.sam)

    @rule(
        outcome=st.sampled_from(["paid", "failed", "unavailable", "timeout"]), lease=st.booleans()
    )
    def provider_answers(self, outcome: str, lease: bool) -> None:
        self.provider.next = outcome
        # lease expired (crash recovery) or still fresh (a concurrent attempt holds it)
        self.django_settings.PAYOUT_SEND_LEASE_SECONDS = 0 if lease else 3600
        services.payouts_send_due()
        for payout_id in Payout.objects.filter(status__in=["paid", "failed"]).values_list(
            "pk", flat=True
        ):
            self._unchanged(lambda pk=payout_id: services.payout_send(payout_id=pk))

    @rule(index=st.integers(0, 50), paid=st.booleans())
    def bank_answers(self, index: int, paid: bool) -> None:
        payout = self._pick(Payout.objects.filter(provider="bank", status="sending"), index)
        if payout is None:
            return
        if paid:
            services.payout_mark_paid(
                brand=self.cast.acme, payout_ids=[payout.pk], actor=self.cast.sam
            )
            self._unchanged(
                lambda: services.payout_mark_paid(
                    brand=self.cast.acme, payout_ids=[payout.pk], actor=self.cast.sam
                )
            )
        else:
            services.payout_mark_failed(
                brand=self.cast.acme, payout_id=payout.pk, actor=self.cast.sam, reason="bounced"
            )

    @invariant()
    def every_transaction_balances(self) -> None:
        unbalanced = (
            Posting.objects.values("transaction_id").annotate(total=Sum("amount")).exclude(total=0)
        )
        assert not unbalanced.exists()
        assert (Posting.objects.aggregate(t=Sum("amount"))["t"] or 0) == 0

    @invariant()
    def expert_balances_hold_together(self) -> None:
        for expert in self.experts:
            pending, available, paid_out = (
                balance(expert.pk, kind) for kind in (K.PENDING, K.AVAILABLE, K.PAID_OUT)
            )
            assert min(pending, available, paid_out) >= 0
            cleared = int(
                Posting.objects.filter(account__expert_id=expert.pk, account__kind=K.AVAILABLE)
                .exclude(
                    transaction__kind__in=[Transaction.Kind.PAYOUT, Transaction.Kind.PAYOUT_RETURN]
                )
                .aggregate(t=Sum("amount"))["t"]
                or 0
            )
            assert paid_out == cleared - available
            not_failed = (
                Payout.objects.filter(expert=expert)
                .exclude(status="failed")
                .aggregate(t=Sum("amount"))["t"]
                or 0
            )
            assert paid_out == not_failed
            open_earnings = Earning.objects.filter(expert=expert, status__in=["pending", "held"])
            assert pending == sum(e.total_net for e in open_earnings)

    @invariant()
    def one_transfer_per_payout(self) -> None:
        assert all(count == 1 for count in self.provider.transfers.values())
        for payout in Payout.objects.filter(provider="stripe", status="paid"):
            assert self.provider.transfers.get(payout.idempotency_key) == 1
        for payout in Payout.objects.filter(provider="stripe", status="failed"):
            assert payout.idempotency_key not in self.provider.transfers


def test_money_flow_keeps_its_invariants_under_random_sequences(
    cast: Any, rate_card: Any, tent: Any, monkeypatch: Any, settings: Any
) -> None:
    MoneyMachine.cast = cast
    MoneyMachine.django_settings = settings
    MoneyMachine.products = [cast.trail_shoe, tent, None]
    monkeypatch.setattr(
        payout_module,
        "provider_for",
        lambda name: MoneyMachine.current_provider if name == "stripe" else BankFileProvider(),
    )
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings_for_money(),
    )


def settings_for_money() -> Any:
    return settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
