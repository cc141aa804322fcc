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
    """Nightly (beat): compare the ledger, the payouts and the provider's transfer events, and
    check every running balance against the sum of its postings. Differences are stored as
    ReconciliationIssue rows, shown to the brand's staff and logged for site admins. Returns
    how many differences are open. Idempotent, so safe to repeat."""
    from payments.services.reconciliation import reconcile_run

    with exclusive("payments.reconcile_ledger") as held:
        if not held:
            return 0
        result = reconcile_run()
    if result.open:
        logger.error("reconciliation: %s open difference(s), %s new", result.open, result.new)
    return result.open
