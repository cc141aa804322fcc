"""Payments services (writes; each owns its transaction). Split by subdomain."""

from payments.ledger import InsufficientFunds, LedgerConflict, ledger_post, ledger_reverse
from payments.services.earnings import (
    call_earning_book,
    call_earning_clear,
    earning_apply_rating,
    earning_book,
    earning_clear,
    earning_hold,
    earning_release,
    earning_reverse,
    earning_surge_bonus_book,
    earnings_clear_due,
)
from payments.services.earnings_batch import earnings_book_batch, earnings_book_resolved
from payments.services.payouts import (
    payout_batch_run,
    payout_destination_set,
    payout_mark_failed,
    payout_mark_paid,
    payout_record_outcome,
    payout_request,
    payout_send,
    payouts_send_due,
    stripe_event_handle,
)
from payments.services.rate_cards import rate_card_create, rate_card_in_force
from payments.services.reconciliation import reconcile_run

__all__ = [
    "call_earning_book",
    "call_earning_clear",
    "InsufficientFunds",
    "LedgerConflict",
    "earning_apply_rating",
    "earning_surge_bonus_book",
    "earning_book",
    "earning_clear",
    "earning_hold",
    "earning_release",
    "earning_reverse",
    "earnings_book_batch",
    "earnings_book_resolved",
    "earnings_clear_due",
    "ledger_post",
    "ledger_reverse",
    "payout_batch_run",
    "payout_destination_set",
    "payout_mark_failed",
    "payout_mark_paid",
    "payout_record_outcome",
    "payout_request",
    "payout_send",
    "payouts_send_due",
    "rate_card_create",
    "rate_card_in_force",
    "reconcile_run",
    "stripe_event_handle",
]
