"""The double-entry ledger: accounts, balanced transactions, and the one way to post them.

Everything that moves money calls :func:`ledger_post`. It never updates or deletes a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, F, Q, Sum, Value, When

from gigcx.exceptions import ApplicationError, ConflictError
from marketplace.models import Brand, Expert
from payments.models import Account, Posting, Transaction


class LedgerConflict(ApplicationError):
    """An idempotency key was reused with another payload: a bug upstream, never 'fixed'."""

    status_code = 409
    code = "ledger_conflict"


class InsufficientFunds(ConflictError):
    code = "insufficient_funds"


# Expert accounts may never go below zero (Formance's rule: overdraft must be explicit). Brand
# payable is negative by design (what the brand owes); platform accounts belong to us.
NON_NEGATIVE_OWNERS = (Account.Owner.EXPERT,)
# ...except the expert's debt account, which is negative by design: what the expert owes back
# after a clawback that their available balance could not cover.
MAY_GO_NEGATIVE_KINDS = (Account.Kind.EXPERT_DEBT,)


def account_for_expert(*, expert: Expert, kind: str, currency: str) -> Account:
    account, _ = Account.objects.get_or_create(
        owner_type=Account.Owner.EXPERT,
        expert=expert,
        kind=kind,
        currency=currency,
        defaults={"brand_id": expert.brand_id},
    )
    return account


def account_for_brand(*, brand: Brand | int, kind: str, currency: str) -> Account:
    brand_id = brand if isinstance(brand, int) else brand.pk
    account, _ = Account.objects.get_or_create(
        owner_type=Account.Owner.BRAND, brand_id=brand_id, kind=kind, currency=currency
    )
    return account


def account_for_platform(*, kind: str, currency: str) -> Account:
    account, _ = Account.objects.get_or_create(
        owner_type=Account.Owner.PLATFORM, kind=kind, currency=currency
    )
    return account


def accounts_for_earning(*, expert: Expert, currency: str) -> tuple[Account, Account, Account]:
    """(brand payable, expert pending, platform fee) of the expert's brand: one read when they
    exist, as they do from an expert's second earning on; the missing ones are created."""
    K = Account.Kind
    found = {
        account.owner_type: account
        for account in Account.objects.filter(
            Q(owner_type=Account.Owner.BRAND, brand_id=expert.brand_id, kind=K.BRAND_PAYABLE)
            | Q(owner_type=Account.Owner.EXPERT, expert=expert, kind=K.PENDING)
            | Q(owner_type=Account.Owner.PLATFORM, kind=K.PLATFORM_FEE),
            currency=currency,
        )
    }
    brand = found.get(Account.Owner.BRAND) or account_for_brand(
        brand=expert.brand_id, kind=K.BRAND_PAYABLE, currency=currency
    )
    pending = found.get(Account.Owner.EXPERT) or account_for_expert(
        expert=expert, kind=K.PENDING, currency=currency
    )
    platform = found.get(Account.Owner.PLATFORM) or account_for_platform(
        kind=K.PLATFORM_FEE, currency=currency
    )
    return brand, pending, platform


def expert_debt_account(*, expert: Expert, currency: str) -> Account | None:
    """The expert's debt account in ``currency`` when one exists (only clawbacks create it)."""
    return Account.objects.filter(
        owner_type=Account.Owner.EXPERT,
        expert=expert,
        kind=Account.Kind.EXPERT_DEBT,
        currency=currency,
    ).first()


def expert_credit_legs(
    *, expert: Expert, currency: str, amount: int, lock: Iterable[Account] = ()
) -> list[tuple[Account, int]]:
    """The legs that credit ``amount`` to an expert: what they owe (the debt account) is
    repaid first, the rest goes to ``available``. Locks the expert's accounts, with ``lock``
    (the other accounts of the entry), in the one pk order before reading the debt, so two
    credits never repay the same debt twice. Must run inside a transaction."""
    available = account_for_expert(expert=expert, kind=Account.Kind.AVAILABLE, currency=currency)
    debt = expert_debt_account(expert=expert, currency=currency)
    locked = {a.pk: a for a in accounts_for_update([*lock, available, *([debt] if debt else [])])}
    owed = max(0, -locked[debt.pk].balance) if debt is not None else 0
    repay = min(amount, owed)
    legs: list[tuple[Account, int]] = []
    if repay and debt is not None:
        legs.append((debt, repay))
    if amount - repay:
        legs.append((available, amount - repay))
    return legs


def expert_debit_legs(
    *, expert: Expert, currency: str, amount: int, lock: Iterable[Account] = ()
) -> list[tuple[Account, int]]:
    """The legs that take ``amount`` back from an expert (a clawback): as much as
    ``available`` holds, and the rest booked to the expert's debt account, so the available
    balance never goes below zero. Must run inside a transaction."""
    available = account_for_expert(expert=expert, kind=Account.Kind.AVAILABLE, currency=currency)
    debt = expert_debt_account(expert=expert, currency=currency)
    locked = {a.pk: a for a in accounts_for_update([*lock, available, *([debt] if debt else [])])}
    take = min(amount, max(0, locked[available.pk].balance))
    legs: list[tuple[Account, int]] = []
    if take:
        legs.append((available, -take))
    if amount - take:
        if debt is None:
            # A new row has the highest pk, so locking it last keeps the pk order.
            debt = account_for_expert(
                expert=expert, kind=Account.Kind.EXPERT_DEBT, currency=currency
            )
            accounts_for_update([debt])
        legs.append((debt, -(amount - take)))
    return legs


def accounts_for_update(accounts: Iterable[Account]) -> list[Account]:
    """Lock accounts in primary-key order (the one lock-ordering rule, so two writers never
    wait on each other in opposite orders). Must run inside a transaction."""
    ids = sorted({account.pk for account in accounts})
    return list(Account.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def account_balance(account_id: int) -> int:
    """The account's running balance (one row; under the caller's lock when it holds one)."""
    return int(Account.objects.filter(pk=account_id).values_list("balance", flat=True).get())


def account_balance_summed(account_id: int) -> int:
    """The balance as the sum of every posting: what reconciliation checks the row against."""
    total = Posting.objects.filter(account_id=account_id).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def accounts_reconcile() -> list[tuple[int, int, int]]:
    """Accounts whose running balance differs from the sum of their postings, as
    (account id, stored balance, sum of postings). Empty when the ledger is consistent."""
    sums = dict(
        Posting.objects.order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    return [
        (pk, balance, int(sums.get(pk, 0)))
        for pk, balance in Account.objects.order_by("pk").values_list("pk", "balance")
        if balance != int(sums.get(pk, 0))
    ]


def _payload(postings: Sequence[tuple[Account, int]]) -> list[tuple[int, int]]:
    return sorted((account.pk, int(amount)) for account, amount in postings)


def _validate(postings: Sequence[tuple[Account, int]]) -> None:
    if len(postings) < 2:
        raise ApplicationError("A transaction needs at least two postings.")
    if any(int(amount) == 0 for _, amount in postings):
        raise ApplicationError("Postings of zero are not allowed.")
    if len({account.currency for account, _ in postings}) != 1:
        # No FX legs exist; mixing currencies would make a balanced-looking entry meaningless.
        raise ApplicationError("All postings of a transaction must share one currency.")
    if sum(int(amount) for _, amount in postings) != 0:
        raise ApplicationError("Postings must sum to zero.")


def ledger_post(
    *,
    kind: str,
    idempotency_key: str,
    postings: Sequence[tuple[Account, int]],
    memo: str = "",
    **about: Any,
) -> Transaction:
    """Append one balanced transaction. Idempotent by ``idempotency_key``.

    Replaying the same key with the same kind and postings returns the original transaction;
    the same key with anything else raises :class:`LedgerConflict`. Every account of the
    entry is locked (``SELECT … FOR UPDATE``, pk order) and its running balance moved in the
    same transaction; debited expert accounts are checked not to go negative, so callers get
    overdraft safety without locking themselves. ``about`` carries the references
    (brand, expert, question, payout, reverses). Uses a plain atomic block (joins the caller's
    transaction): the durable boundary belongs to the calling service.
    """
    _validate(postings)
    existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replayed(existing, kind, postings)
    with transaction.atomic():
        # All of the entry's accounts, in pk order: the running balances move under these
        # locks, and the one order means two entries never wait on each other crosswise.
        locked = {a.pk: a for a in accounts_for_update(a for a, _ in postings)}
        for account, amount in postings:
            if (
                amount < 0
                and account.owner_type in NON_NEGATIVE_OWNERS
                and account.kind not in MAY_GO_NEGATIVE_KINDS
                and locked[account.pk].balance + amount < 0
            ):
                raise InsufficientFunds(
                    "Not enough money in the account for this.",
                    fields={"amount": ["More than the available balance."]},
                )
        try:
            with transaction.atomic():
                entry = Transaction.objects.create(
                    kind=kind, idempotency_key=idempotency_key, memo=memo[:200], **about
                )
        except IntegrityError:
            # A concurrent writer committed the same key between our check and insert.
            return _replayed(
                Transaction.objects.get(idempotency_key=idempotency_key), kind, postings
            )
        Posting.objects.bulk_create(
            [
                Posting(transaction=entry, account=account, amount=int(amount))
                for account, amount in postings
            ]
        )
        deltas: dict[int, int] = {}
        for account, amount in postings:
            deltas[account.pk] = deltas.get(account.pk, 0) + int(amount)
        _move_balances(deltas)
    return entry


@dataclass(frozen=True)
class LedgerEntry:
    """One balanced transaction for :func:`ledger_post_many` (``about``: brand_id, expert_id,
    question_id, the references ``ledger_post`` takes as keywords)."""

    kind: str
    idempotency_key: str
    postings: Sequence[tuple[Account, int]]
    memo: str = ""
    about: dict[str, Any] = field(default_factory=dict)


def ledger_post_many(entries: Sequence[LedgerEntry]) -> list[Transaction]:
    """Append many new balanced transactions with a constant number of queries, whatever their
    number: every account they touch is locked once (``SELECT … FOR UPDATE``, pk order, the
    one lock-ordering rule), the transactions and their postings are bulk-inserted, and each
    account's running balance moves once, by the sum of its postings in the batch, under that
    lock. Debited expert accounts are checked not to go negative, on the batch's sum.

    Not a replay path: the caller has claimed every entry first (the earnings batch claims
    the questions' ``Earning`` rows). A key already in the ledger fails the whole batch with
    :class:`LedgerConflict` (the unique key), so nothing is ever booked twice. Runs in the caller's
    transaction (plain atomic block).
    """
    if not entries:
        return []
    for entry in entries:
        _validate(entry.postings)
    with transaction.atomic(savepoint=False):
        locked = {a.pk: a for a in accounts_for_update(a for e in entries for a, _ in e.postings)}
        deltas: dict[int, int] = {}
        for entry in entries:
            for account, amount in entry.postings:
                deltas[account.pk] = deltas.get(account.pk, 0) + int(amount)
        for pk, delta in deltas.items():
            account = locked[pk]
            if (
                delta < 0
                and account.owner_type in NON_NEGATIVE_OWNERS
                and account.kind not in MAY_GO_NEGATIVE_KINDS
                and account.balance + delta < 0
            ):
                raise InsufficientFunds(
                    "Not enough money in the account for this.",
                    fields={"amount": ["More than the available balance."]},
                )
        try:
            rows = Transaction.objects.bulk_create(
                [
                    Transaction(
                        kind=entry.kind,
                        idempotency_key=entry.idempotency_key,
                        memo=entry.memo[:200],
                        **entry.about,
                    )
                    for entry in entries
                ]
            )
        except IntegrityError as exc:
            # Not a replay (the caller claimed every entry): a key was booked some other way.
            # The batch's transaction is spoilt and rolls back whole; say so as a conflict
            # (an IntegrityError would read as "already delivered" to the outbox).
            raise LedgerConflict(
                "An idempotency key of the batch is already in the ledger."
            ) from exc
        Posting.objects.bulk_create(
            [
                Posting(transaction=row, account=account, amount=int(amount))
                for row, entry in zip(rows, entries, strict=True)
                for account, amount in entry.postings
            ]
        )
        _move_balances(deltas)
    return rows


def _move_balances(deltas: dict[int, int]) -> None:
    """One relative UPDATE of every account's running balance (the caller holds the locks)."""
    Account.objects.filter(pk__in=list(deltas)).update(
        balance=F("balance")
        + Case(
            *(When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()),
            default=Value(0),
            output_field=BigIntegerField(),
        )
    )


def _replayed(
    existing: Transaction, kind: str, postings: Sequence[tuple[Account, int]]
) -> Transaction:
    stored = sorted(existing.postings.values_list("account_id", "amount"))
    if existing.kind != kind or stored != _payload(postings):
        raise LedgerConflict(
            f"Idempotency key {existing.idempotency_key!r} was reused with another payload."
        )
    return existing


def ledger_reverse(
    *, original: Transaction, idempotency_key: str, kind: str, memo: str = "", **about: Any
) -> Transaction:
    """Post the mirror image of ``original`` (every posting negated), referencing it."""
    legs = [(p.account, -p.amount) for p in original.postings.select_related("account")]
    return ledger_post(
        kind=kind,
        idempotency_key=idempotency_key,
        postings=legs,
        memo=memo,
        reverses=original,
        **about,
    )
