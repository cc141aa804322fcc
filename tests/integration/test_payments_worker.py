"""Payouts through a real Celery worker process, Redis and PostgreSQL, against the fake
Stripe server (RELIABILITY 48): the worker is SIGKILLed while the provider call is in flight,
and a fresh worker's sweep pays the payout exactly once with the same key."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.events import event_deliver
from gigcx.models import DomainEvent
from payments import services
from payments.models import Earning, Payout
from payments.tasks import send_payouts
from tests.integration.conftest import start_worker, wait_for
from tests.payments.conftest import resolve, tent  # noqa: F401 - fixtures
from tests.payments.fake_stripe import running_fake_stripe

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def stop(process: Any) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, OSError):
        pass
    except Exception:  # noqa: BLE001 - a stuck worker is killed outright
        os.killpg(process.pid, signal.SIGKILL)


def test_a_worker_killed_during_the_transfer_is_recovered_by_the_sweeper_exactly_once(
    require_postgres: None,
    require_redis: str,
    real_broker: None,
    held_tasks: Any,
    monkeypatch: Any,
    cast: Any,
    rate_card: Any,  # noqa: F811
    resolve: Any,  # noqa: F811
) -> None:
    # given: ada has 20.40 available and a Stripe destination
    for _ in range(4):
        resolve(cast.ada)
    for event_id in DomainEvent.objects.filter(delivered_at__isnull=True).values_list(
        "pk", flat=True
    ):
        event_deliver(event_id=str(event_id))
    services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    assert Earning.objects.filter(status="available").count() == 4
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    monkeypatch.undo()  # publish to the real broker again (held_tasks recorded until here)

    with running_fake_stripe() as fake:
        # the transfer is made at once, but the answer takes 30 s: the worker is mid-call
        fake.script = ["timeout"]
        fake.timeout_sleep = 30
        monkeypatch.setenv("STRIPE_API_BASE", fake.base)
        monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_gigcx")
        monkeypatch.setenv("STRIPE_TIMEOUT", "60")
        monkeypatch.setenv("PAYOUT_SEND_LEASE_SECONDS", "3")
        first = start_worker(require_redis)
        try:
            # when: the request commits and publishes send_payout; the worker calls Stripe
            payout = services.payout_request(user=cast.ada, brand=cast.acme)
            assert wait_for(lambda: len(fake.requests) == 1, timeout=60), (
                "worker never called Stripe"
            )
            os.killpg(first.pid, signal.SIGKILL)  # dies before recording the outcome
            first.wait(timeout=10)
        finally:
            stop(first)
        payout.refresh_from_db()
        assert payout.status == "sending"
        assert len(fake.transfers) == 1

        # then: a fresh worker runs the sweeper once the lease has expired
        second = start_worker(require_redis)
        try:
            paid = False
            for _ in range(30):  # what beat does every minute, here every 3 s
                send_payouts.delay()
                if wait_for(
                    lambda: Payout.objects.filter(pk=payout.pk, status="paid").exists(), timeout=3
                ):
                    paid = True
                    break
            assert paid, "the sweeper did not recover the payout (see test-artifacts/workers/)"
        finally:
            stop(second)

    payout.refresh_from_db()
    assert payout.provider_reference == fake.transfers[0]["id"]
    assert len(fake.transfers_for(payout.idempotency_key)) == 1
    assert len(fake.transfers) == 1
    assert {r["idempotency_key"] for r in fake.requests} == {payout.idempotency_key}
