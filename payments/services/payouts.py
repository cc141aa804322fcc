"""Payouts: destinations, requests, brand batches, sending, and recording outcomes.

Crash safety (RELIABILITY 47-48, brandur.org/idempotency-keys):
1. ``payout_request`` / ``payout_batch_run`` commit the payout row, its idempotency key and
   the ledger entry that takes the money out of ``available`` — before any provider call.
2. ``payout_send`` claims the row (conditional UPDATE to ``sending`` with a lease), commits,
   then calls the provider outside any transaction with the stored key.
3. The outcome is recorded in a second transaction. A crash anywhere leaves the row in
   ``requested`` or ``sending``; the sweeper (``payments.send_payouts``) retries it with the
   same key once the lease has expired, and the provider replays its stored answer.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.db import retry_on_conflict
from gigcx.dispatch import enqueue_on_commit
from gigcx.events import event_record
from gigcx.exceptions import ApplicationError, ConflictError, NotFoundError
from marketplace.models import Brand, Expert
from payments.ledger import (
    account_balance,
    account_for_expert,
    accounts_for_update,
    expert_credit_legs,
    ledger_post,
)
from payments.models import (
    CURRENCY_EXPONENTS,
    Account,
    Payout,
    PayoutBatch,
    PayoutDestination,
    ProviderEvent,
    RateCard,
    Transaction,
    format_money,
    minimum_payout,
)
from payments.providers import Outcome, TransientProviderError, provider_for

logger = logging.getLogger(__name__)

K = Account.Kind
IBAN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _iban_valid(iban: str) -> bool:
    if not 15 <= len(iban) <= 34 or not set(iban) <= IBAN_CHARS or not iban[:2].isalpha():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def payout_destination_set(
    *, user: Any, provider: str, stripe_account: str = "", account_holder: str = "", iban: str = ""
) -> PayoutDestination:
    """Connect where payouts go. Replaces the active destination (the old row stays for the
    payouts that used it). Only what the provider needs is stored."""
    if provider == PayoutDestination.Provider.STRIPE:
        stripe_account = stripe_account.strip()
        if not stripe_account.startswith("acct_") or len(stripe_account) < 10:
            raise ApplicationError(
                gettext("That is not a Stripe account id."),
                fields={"stripe_account": [gettext("Use the connected account id, acct_…")]},
            )
        account_holder = iban = ""
    elif provider == PayoutDestination.Provider.BANK:
        iban = iban.replace(" ", "").upper()
        if not _iban_valid(iban):
            raise ApplicationError(
                gettext("That IBAN is not valid."), fields={"iban": [gettext("Check the IBAN.")]}
            )
        if not account_holder.strip():
            raise ApplicationError(
                gettext("The account holder is needed."),
                fields={"account_holder": [gettext("Required.")]},
            )
        stripe_account = ""
    else:
        raise ApplicationError(
            gettext("Unknown provider."), fields={"provider": [gettext("Use stripe or bank.")]}
        )
    with transaction.atomic(durable=True):
        PayoutDestination.objects.filter(user=user, is_active=True).update(is_active=False)
        destination = PayoutDestination.objects.create(
            user=user,
            provider=provider,
            stripe_account=stripe_account,
            account_holder=account_holder.strip(),
            iban=iban,
        )
        audit_record(actor=user, action="payout.destination_set", target=destination)
    return destination


def _destination_of(user_id: int) -> PayoutDestination | None:
    return PayoutDestination.objects.filter(user_id=user_id, is_active=True).first()


def _brand_currency(brand_id: int) -> str | None:
    card = (
        RateCard.objects.filter(brand_id=brand_id).order_by("-effective_from", "-version").first()
    )
    return card.currency if card else None


def _create_payout(
    *,
    expert: Expert,
    amount: int,
    currency: str,
    destination: PayoutDestination,
    actor: Any,
    batch: PayoutBatch | None = None,
    client_key: str = "",
) -> Payout:
    """Inside the caller's transaction: the payout row plus the ledger entry available →
    paid out. The caller holds the lock on the expert's available account."""
    now = timezone.now()
    bank_in_batch = destination.provider == PayoutDestination.Provider.BANK and batch is not None
    payout = Payout.objects.create(
        expert=expert,
        brand_id=expert.brand_id,
        batch=batch,
        destination=destination,
        provider=destination.provider,
        amount=amount,
        currency=currency,
        # The key is fixed here, before anything is sent, and never changes.
        idempotency_key=f"gigcx-payout-{uuid.uuid4()}",
        client_key=client_key,
        status=Payout.Status.SENDING if bank_in_batch else Payout.Status.REQUESTED,
        sending_since=now if bank_in_batch else None,
        requested_by=actor if isinstance(getattr(actor, "pk", None), int) else None,
    )
    ledger_post(
        kind=Transaction.Kind.PAYOUT,
        idempotency_key=f"payout:{payout.pk}",
        postings=[
            (account_for_expert(expert=expert, kind=K.AVAILABLE, currency=currency), -amount),
            (account_for_expert(expert=expert, kind=K.PAID_OUT, currency=currency), amount),
        ],
        memo=f"Payout #{payout.pk}",
        brand_id=expert.brand_id,
        expert=expert,
        payout=payout,
    )
    audit_record(
        actor=actor,
        action="payout.requested",
        target=payout,
        brand_id=expert.brand_id,
        data={"amount": amount, "currency": currency, "batch": batch.pk if batch else None},
    )
    return payout


def _enqueue_send(payout: Payout) -> None:
    if payout.provider == PayoutDestination.Provider.STRIPE:
        from payments.tasks import send_payout

        enqueue_on_commit(send_payout, payout.pk)


@retry_on_conflict
def payout_request(
    *,
    user: Any,
    brand: Brand,
    amount: int | None = None,
    currency: str | None = None,
    client_key: str = "",
) -> Payout:
    """An expert asks for (part of) their available balance in one brand's program.

    Concurrency: the expert's ``available`` account row is locked (SELECT … FOR UPDATE)
    before the balance is summed, so simultaneous requests queue on that row and each sees
    the postings of the ones before it; none can spend money another already took. A
    conditional UPDATE on a cached balance column would work too, but balances are sums of
    postings here (no cached column), so the row lock is the natural guard.

    ``client_key`` (the API's Idempotency-Key header) makes a retried request return the
    payout the first one made; the same key with another amount or currency is a 409.
    """
    expert = Expert.objects.filter(brand=brand, user=user).first()
    if expert is None:
        raise NotFoundError(
            gettext("You are not an expert of this brand."),
            fields={"brand": [gettext("Not yours.")]},
        )
    destination = _destination_of(user.pk)
    if destination is None:
        raise ConflictError(
            gettext("Connect a payout destination first."),
            code="no_destination",
            fields={"destination": [gettext("Not connected.")]},
        )
    currency = currency or _brand_currency(brand.pk)
    if currency is None or currency not in CURRENCY_EXPONENTS:
        raise ApplicationError(
            gettext("Unknown currency."), fields={"currency": [gettext("Not supported.")]}
        )
    with transaction.atomic(durable=True):
        account = account_for_expert(expert=expert, kind=K.AVAILABLE, currency=currency)
        accounts_for_update([account])
        if client_key:
            # Under the lock, so a retry racing the original sees it once it committed.
            earlier = Payout.objects.filter(expert=expert, client_key=client_key).first()
            if earlier is not None:
                if earlier.currency != currency or amount not in (None, earlier.amount):
                    raise ConflictError(
                        gettext("This Idempotency-Key was used for another payout request."),
                        code="idempotency_key_reused",
                    )
                earlier.replayed = True  # type: ignore[attr-defined] - tells the API "200"
                return earlier
        available = account_balance(account.pk)
        amount = available if amount is None else amount
        minimum = minimum_payout(currency)
        if amount < minimum:
            raise ApplicationError(
                gettext("The minimum payout is %(amount)s.")
                % {"amount": format_money(minimum, currency)},
                fields={
                    "amount": [
                        gettext("At least %(minimum)s (minor units).") % {"minimum": minimum}
                    ]
                },
            )
        if amount > available:
            raise ConflictError(
                gettext("That is more than your available balance."),
                code="insufficient_funds",
                fields={
                    "amount": [
                        gettext("Available: %(available)s (minor units).")
                        % {"available": available}
                    ]
                },
            )
        payout = _create_payout(
            expert=expert,
            amount=amount,
            currency=currency,
            destination=destination,
            actor=user,
            client_key=client_key,
        )
        _enqueue_send(payout)
    return payout


@retry_on_conflict
def payout_batch_run(*, brand: Brand, actor: Any) -> PayoutBatch:
    """Pay every expert of the brand their whole available balance (when it reaches the
    minimum and they have a destination), and put the bank-transfer payouts experts requested
    since the last run into this batch's file. One transaction; Stripe transfers are sent after
    commit. Two runs at once are safe: each expert's available account is locked before its
    balance is read, so the second run finds nothing left to pay."""
    with transaction.atomic(durable=True):
        batch = PayoutBatch.objects.create(
            brand=brand, created_by=actor if isinstance(getattr(actor, "pk", None), int) else None
        )
        accounts = list(
            Account.objects.filter(
                owner_type=Account.Owner.EXPERT,
                brand=brand,
                kind=K.AVAILABLE,
                expert__status__in=[Expert.Status.APPROVED, Expert.Status.PROBATION],
            ).select_related("expert")
        )
        created: list[Payout] = []
        for account in accounts_for_update(accounts):
            expert = next(a.expert for a in accounts if a.pk == account.pk)
            destination = _destination_of(expert.user_id)
            balance = account_balance(account.pk)
            if destination is None or balance < minimum_payout(account.currency):
                continue
            created.append(
                _create_payout(
                    expert=expert,
                    amount=balance,
                    currency=account.currency,
                    destination=destination,
                    actor=actor,
                    batch=batch,
                )
            )
        Payout.objects.filter(
            brand=brand,
            batch__isnull=True,
            provider=PayoutDestination.Provider.BANK,
            status=Payout.Status.REQUESTED,
        ).update(batch=batch, status=Payout.Status.SENDING, sending_since=timezone.now())
        audit_record(
            actor=actor,
            action="payout_batch.run",
            target=batch,
            brand_id=brand.pk,
            data={"payouts": len(created)},
        )
        for payout in created:
            _enqueue_send(payout)
    return batch


def _in_real_transaction() -> bool:
    # Django's TestCase wraps each test in atomic blocks it marks; those do not count.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _claim(payout_id: int) -> Payout | None:
    """Conditional UPDATE: take the payout for sending unless someone holds a fresh lease."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PAYOUT_SEND_LEASE_SECONDS)
    with transaction.atomic(durable=True):
        claimed = (
            Payout.objects.filter(pk=payout_id, provider=PayoutDestination.Provider.STRIPE)
            .filter(
                Q(status=Payout.Status.REQUESTED)
                | Q(status=Payout.Status.SENDING, sending_since__isnull=True)
                | Q(status=Payout.Status.SENDING, sending_since__lt=stale)
            )
            .update(status=Payout.Status.SENDING, sending_since=now, attempts=F("attempts") + 1)
        )
    if claimed != 1:
        return None
    return Payout.objects.select_related("destination").get(pk=payout_id)


def payout_send(*, payout_id: int) -> Payout | None:
    """Send one Stripe payout. Safe to call any number of times, concurrently or after a
    crash: only the holder of the claim calls the provider, always with the payout's stored
    idempotency key. Raises TransientProviderError after recording it (the task retries).
    Must not be called inside a transaction: the provider call would sit inside it."""
    if _in_real_transaction():
        raise RuntimeError("payout_send must run outside any database transaction.")
    payout = _claim(payout_id)
    if payout is None:
        return Payout.objects.filter(pk=payout_id).first()
    try:
        outcome = provider_for(payout.provider).send(payout)
    except TransientProviderError as exc:
        # Release the lease so the next retry or sweep can go at once; the key stays the same.
        Payout.objects.filter(pk=payout.pk, status=Payout.Status.SENDING).update(
            sending_since=None, last_error=str(exc)[:300]
        )
        raise
    return payout_record_outcome(payout_id=payout.pk, outcome=outcome)


def payout_record_outcome(*, payout_id: int, outcome: Outcome) -> Payout:
    """The second transaction: paid, or failed with the money returned to ``available``.
    Transitions are monotonic (only out of requested/sending), so a late or repeated outcome
    (a webhook after the task, a replay) changes nothing."""
    with transaction.atomic(durable=True):
        _apply_outcome(payout_id, outcome)
    return Payout.objects.get(pk=payout_id)


def _payout_event(payout: Payout, name: str) -> None:
    """``payout.paid`` / ``payout.failed`` in the outbox, with the change (brands' webhooks)."""
    event_record(name=name, brand_id=payout.brand_id, payload={"payout_id": payout.pk})


def _apply_outcome(payout_id: int, outcome: Outcome, *, from_paid: bool = False) -> bool:
    now = timezone.now()
    payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
    if payout is None:
        return False
    open_states = [Payout.Status.REQUESTED, Payout.Status.SENDING]
    if outcome.status == "paid":
        if payout.status not in open_states:
            return False
        Payout.objects.filter(pk=payout.pk).update(
            status=Payout.Status.PAID,
            provider_reference=outcome.reference or payout.provider_reference,
            completed_at=now,
            last_error="",
        )
        audit_record(actor=None, action="payout.paid", target=payout, brand_id=payout.brand_id)
        _payout_event(payout, "payout.paid")
        return True
    if outcome.status == "failed":
        if payout.status not in open_states and not (
            from_paid and payout.status == Payout.Status.PAID
        ):
            return False
        expert = Expert.objects.get(pk=payout.expert_id)
        paid_out = account_for_expert(expert=expert, kind=K.PAID_OUT, currency=payout.currency)
        ledger_post(
            kind=Transaction.Kind.PAYOUT_RETURN,
            idempotency_key=f"payout-return:{payout.pk}",
            # The money comes back to the expert; a debt from a clawback is repaid first.
            postings=[
                (paid_out, -payout.amount),
                *expert_credit_legs(
                    expert=expert, currency=payout.currency, amount=payout.amount, lock=[paid_out]
                ),
            ],
            memo=f"Payout #{payout.pk} returned: {outcome.reason}"[:200],
            brand_id=payout.brand_id,
            expert=expert,
            payout=payout,
            reverses=Transaction.objects.filter(idempotency_key=f"payout:{payout.pk}").first(),
        )
        Payout.objects.filter(pk=payout.pk).update(
            status=Payout.Status.FAILED, failure_reason=outcome.reason[:300], completed_at=now
        )
        audit_record(
            actor=None,
            action="payout.failed",
            target=payout,
            brand_id=payout.brand_id,
            reason=outcome.reason,
        )
        _payout_event(payout, "payout.failed")
        return True
    return False


def payouts_due_for_sending(*, limit: int = 200) -> list[int]:
    stale = timezone.now() - timedelta(seconds=settings.PAYOUT_SEND_LEASE_SECONDS)
    return list(
        Payout.objects.filter(provider=PayoutDestination.Provider.STRIPE)
        .filter(
            Q(status=Payout.Status.REQUESTED)
            | Q(status=Payout.Status.SENDING, sending_since__isnull=True)
            | Q(status=Payout.Status.SENDING, sending_since__lt=stale)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def payouts_send_due(*, limit: int = 200) -> int:
    """The sweeper: retry every Stripe payout stuck in requested/sending. Returns how many
    ended paid or failed in this run; transient errors are left for the next sweep."""
    done = 0
    for payout_id in payouts_due_for_sending(limit=limit):
        try:
            payout = payout_send(payout_id=payout_id)
        except TransientProviderError:
            continue
        done += bool(payout and payout.status in (Payout.Status.PAID, Payout.Status.FAILED))
    return done


def payout_mark_paid(*, brand: Brand, payout_ids: list[int], actor: Any) -> int:
    """Staff confirm that the bank accepted the batch file's lines. Only bank payouts of this
    brand that are out in a file move to paid; returns how many did."""
    with transaction.atomic(durable=True):
        ids = list(
            Payout.objects.filter(
                brand=brand,
                pk__in=payout_ids,
                provider=PayoutDestination.Provider.BANK,
                status=Payout.Status.SENDING,
                batch__isnull=False,
            ).values_list("pk", flat=True)
        )
        changed = Payout.objects.filter(pk__in=ids, status=Payout.Status.SENDING).update(
            status=Payout.Status.PAID, completed_at=timezone.now()
        )
        for payout_id in ids:
            audit_record(
                actor=actor,
                action="payout.paid",
                brand_id=brand.pk,
                target=Payout.objects.get(pk=payout_id),
            )
            event_record(name="payout.paid", brand_id=brand.pk, payload={"payout_id": payout_id})
    return changed


def payout_mark_failed(*, brand: Brand, payout_id: int, actor: Any, reason: str) -> Payout:
    """Staff record that the bank rejected a line: the money returns to ``available``.

    Only bank-file lines a batch has sent: a Stripe transfer may be in flight, and only
    Stripe's own answer (webhook or retry) may settle it, or it could be paid twice."""
    payout = Payout.objects.filter(brand=brand, pk=payout_id).first()
    if payout is None:
        raise NotFoundError(gettext("No such payout."))
    if payout.provider != PayoutDestination.Provider.BANK or payout.batch_id is None:
        raise ConflictError(
            gettext(
                "Only bank-file lines of a batch can be marked failed; Stripe payouts settle "
                "from Stripe's own answer."
            )
        )
    with transaction.atomic(durable=True):
        if not _apply_outcome(payout.pk, Outcome("failed", reason=reason)):
            raise ConflictError(gettext("Only a payout that is still open can be marked failed."))
        audit_record(
            actor=actor,
            action="payout.marked_failed",
            target=payout,
            brand_id=brand.pk,
            reason=reason,
        )
    return Payout.objects.get(pk=payout_id)


def _payout_for_transfer(transfer: dict[str, Any]) -> Payout | None:
    """The Stripe payout a transfer belongs to, or None.

    The transfer id is what identifies it: a payout whose provider reference is this transfer.
    The metadata's payout id is only a hint for a payout we sent but whose reference we never
    recorded (the create call timed out, or the event overtook its answer), and then only for a
    Stripe payout still without a reference. A bank payout, or a payout paid by another
    transfer, is never touched, whatever the metadata says.
    """
    transfer_id = str(transfer.get("id") or "")
    if not transfer_id:
        return None
    stripe = Payout.objects.filter(provider=PayoutDestination.Provider.STRIPE)
    payout = stripe.filter(provider_reference=transfer_id).first()
    if payout is not None:
        return payout
    hinted = str((transfer.get("metadata") or {}).get("payout_id") or "")
    if not hinted.isdigit():
        return None
    return stripe.filter(pk=int(hinted), provider_reference="").first()


def stripe_event_handle(*, event_id: str, event_type: str, data: dict[str, Any]) -> bool:
    """Apply a verified Stripe webhook event once (ProviderEvent unique per id). Returns False
    for a duplicate. transfer.created/updated confirm a payout; transfer.reversed returns its
    money. Transitions are monotonic, so out-of-order delivery converges."""
    with transaction.atomic(durable=True):
        created = ProviderEvent.objects.get_or_create(
            provider="stripe", event_id=event_id, defaults={"type": event_type, "payload": data}
        )[1]
        if not created:
            return False
        if not event_type.startswith("transfer."):
            return True
        obj = data.get("object") or {}
        payout = _payout_for_transfer(obj)
        if payout is None:
            logger.warning("stripe event %s: no payout for transfer %s", event_id, obj.get("id"))
            return True
        if event_type == "transfer.reversed":
            if not payout.provider_reference:
                Payout.objects.filter(pk=payout.pk, provider_reference="").update(
                    provider_reference=obj["id"]
                )
            _apply_outcome(
                payout.pk, Outcome("failed", reason="Transfer reversed by Stripe"), from_paid=True
            )
        elif event_type in ("transfer.created", "transfer.updated"):
            _apply_outcome(payout.pk, Outcome("paid", reference=obj.get("id") or ""))
    return True
