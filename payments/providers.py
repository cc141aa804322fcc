"""Payout providers behind one interface: Stripe Connect transfers and a bank file export.

``send(payout)`` is called outside any database transaction, with the payout's stored
idempotency key. It returns an outcome or raises :class:`TransientProviderError` (network,
timeout, 5xx, rate limit): the payout stays in ``sending`` and is retried with the same key.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import stripe
from django.conf import settings

from payments.models import Payout

logger = logging.getLogger(__name__)


class TransientProviderError(Exception):
    """Try again later with the same idempotency key."""


@dataclass(frozen=True)
class Outcome:
    status: str  # "paid", "failed" or "exported" (waits for staff to confirm the bank upload)
    reference: str = ""
    reason: str = ""


class PayoutProvider(Protocol):
    def send(self, payout: Payout) -> Outcome: ...


class StripeConnectProvider:
    """Transfers from the platform's Stripe balance to the expert's connected account."""

    def send(self, payout: Payout) -> Outcome:
        # The API base comes from settings (tests point it at a local fake); retries are ours,
        # not the library's, so that every attempt is recorded.
        stripe.api_base = settings.STRIPE_API_BASE
        stripe.max_network_retries = 0
        stripe.default_http_client = stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT)
        try:
            transfer = stripe.Transfer.create(
                api_key=settings.STRIPE_SECRET_KEY,
                idempotency_key=payout.idempotency_key,
                amount=payout.amount,
                currency=payout.currency.lower(),
                destination=payout.destination.stripe_account,
                transfer_group=f"payout-{payout.pk}",
                metadata={"payout_id": str(payout.pk)},
            )
        except (stripe.CardError, stripe.InvalidRequestError, stripe.PermissionError) as exc:
            if isinstance(exc, stripe.InvalidRequestError) and (exc.code or "").startswith(
                "idempotency"
            ):
                # Same key, other parameters: a bug, not the expert's problem. Keep retrying
                # (and alerting through the log) instead of failing the payout.
                logger.error("payout %s: idempotency error from Stripe: %s", payout.pk, exc)
                raise TransientProviderError(str(exc.user_message or exc)) from exc
            return Outcome("failed", reason=str(exc.user_message or exc)[:300])
        except (
            stripe.APIConnectionError,
            stripe.APIError,
            stripe.RateLimitError,
            stripe.AuthenticationError,
        ) as exc:
            raise TransientProviderError(str(exc.user_message or exc)[:300]) from exc
        except stripe.StripeError as exc:
            if (
                exc.http_status is not None
                and 400 <= exc.http_status < 500
                and exc.http_status not in (409, 429)
            ):
                return Outcome("failed", reason=str(exc.user_message or exc)[:300])
            raise TransientProviderError(str(exc)[:300]) from exc
        return Outcome("paid", reference=transfer.id)


class BankFileProvider:
    """Bank transfers go out in the brand's batch file; staff mark lines paid after upload."""

    def send(self, payout: Payout) -> Outcome:
        return Outcome("exported")


def provider_for(name: str) -> PayoutProvider:
    if name == "stripe":
        return StripeConnectProvider()
    return BankFileProvider()


def csv_safe(cell: object) -> object:
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading
    apostrophe (OWASP CSV injection); numbers pass unchanged."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


BANK_FILE_HEADER = ["payout_id", "reference", "account_holder", "iban", "amount", "currency"]


def bank_file(payouts: Iterable[Payout]) -> str:
    """The CSV a brand uploads to its bank: one line per bank-transfer payout. Amounts are
    written in major units with the currency's decimals (what bank portals expect)."""
    from payments.models import CURRENCY_EXPONENTS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(BANK_FILE_HEADER)
    for payout in payouts:
        exponent = CURRENCY_EXPONENTS.get(payout.currency, 2)
        whole, frac = divmod(payout.amount, 10**exponent)
        amount = f"{whole}.{frac:0{exponent}d}" if exponent else str(whole)
        writer.writerow(
            [
                payout.pk,
                payout.idempotency_key,
                csv_safe(payout.destination.account_holder),
                payout.destination.iban,
                amount,
                payout.currency,
            ]
        )
    return out.getvalue()
