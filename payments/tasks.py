"""Payments tasks: thin, idempotent, ids only, named ``payments.*`` (queue ``payments``)."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError

from payments.providers import TransientProviderError


@shared_task(name="payments.clear_earnings", acks_late=True)
def clear_earnings() -> int:
    """Move earnings past their clearance date from pending to available (beat). Idempotent;
    a cache lock keeps two beats from sweeping at once (harmless, but wasteful)."""
    from payments.services import earnings_clear_due

    if not cache.add("lock:payments.clear_earnings", 1, timeout=300):
        return 0
    try:
        return earnings_clear_due()
    finally:
        cache.delete("lock:payments.clear_earnings")


@shared_task(
    name="payments.send_payout",
    acks_late=True,
    autoretry_for=(TransientProviderError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def send_payout(payout_id: int) -> None:
    """Send one payout now. Safe twice: the claim lets one caller through, and the provider
    sees the payout's stored idempotency key. After max_retries the sweeper keeps trying."""
    from payments.services import payout_send

    payout_send(payout_id=payout_id)


@shared_task(name="payments.send_payouts", acks_late=True)
def send_payouts() -> int:
    """Sweeper (beat): retry payouts stuck in requested/sending with their same keys."""
    from payments.services import payouts_send_due

    if not cache.add("lock:payments.send_payouts", 1, timeout=300):
        return 0
    try:
        return payouts_send_due()
    finally:
        cache.delete("lock:payments.send_payouts")
