"""Payments tasks: thin, idempotent, ids only, named ``payments.*`` (queue ``payments``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from gigcx.locks import exclusive
from payments.providers import TransientProviderError

logger = logging.getLogger(__name__)


@shared_task(name="payments.clear_earnings", acks_late=True)
def clear_earnings() -> int:
    """Move earnings past their clearance date from pending to available (beat). Idempotent;
    one sweep at a time across machines (harmless, but wasteful)."""
    from payments.services import earnings_clear_due

    with exclusive("payments.clear_earnings") as held:
        return earnings_clear_due() if held else 0


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

    with exclusive("payments.send_payouts") as held:
        return payouts_send_due() if held else 0


@shared_task(name="payments.reconcile_ledger", acks_late=True)
def reconcile_ledger() -> int:
    """Check every running balance against the sum of its postings (beat, nightly); logs an
    error per account that differs and returns how many do. Read-only, so safe to repeat."""
    from payments.ledger import accounts_reconcile

    wrong = accounts_reconcile()
    for pk, stored, summed in wrong:
        logger.error("account %s: balance %s, sum of postings %s", pk, stored, summed)
    return len(wrong)
