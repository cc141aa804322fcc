"""Reads: balances are sums of postings; statements are lists of entries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from gigcx.tenancy import Viewer
from marketplace.models import Brand
from payments.models import (
    Account,
    Earning,
    Payout,
    PayoutBatch,
    Posting,
    RateCard,
    ReconciliationIssue,
    Transaction,
    format_money,
)


@dataclass
class Balance:
    brand: str
    brand_name: str
    currency: str
    pending: int = 0
    available: int = 0
    paid_out: int = 0
    in_transit: int = 0
    # The debt account's balance: negative while the expert owes money back after a clawback.
    expert_debt: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def fmt(self, name: str) -> str:
        return format_money(getattr(self, name), self.currency)

    @property
    def pending_display(self) -> str:
        return self.fmt("pending")

    @property
    def available_display(self) -> str:
        return self.fmt("available")

    @property
    def paid_display(self) -> str:
        return self.fmt("paid_out")

    @property
    def in_transit_display(self) -> str:
        return self.fmt("in_transit")

    @property
    def owed(self) -> int:
        """What the expert owes back (positive), repaid from their next earnings."""
        return max(0, -self.expert_debt)

    @property
    def owed_display(self) -> str:
        return format_money(self.owed, self.currency)


def balances_by_account(accounts: QuerySet[Account]) -> dict[int, int]:
    """Running balances (Account.balance), not a sum over every posting."""
    return {pk: int(balance) for pk, balance in accounts.values_list("pk", "balance")}


def expert_balances(*, user_id: int) -> list[Balance]:
    """Per brand program and currency: pending, available, paid out (including payouts still
    on their way, shown separately as in transit)."""
    accounts = Account.objects.filter(owner_type=Account.Owner.EXPERT, expert__user_id=user_id)
    totals = balances_by_account(accounts)
    out: dict[tuple[int, str], Balance] = {}
    for account in accounts.select_related("brand"):
        key = (account.brand_id, account.currency)
        balance = out.setdefault(
            key,
            Balance(
                brand=account.brand.slug, brand_name=account.brand.name, currency=account.currency
            ),
        )
        amount = totals.get(account.pk, 0)
        setattr(balance, account.kind, getattr(balance, account.kind) + amount)
    transit = (
        Payout.objects.filter(expert__user_id=user_id, status__in=Payout.OPEN_STATUSES)
        .values("brand_id", "currency")
        .annotate(total=Sum("amount"))
    )
    for row in transit:
        if (row["brand_id"], row["currency"]) in out:
            out[(row["brand_id"], row["currency"])].in_transit = int(row["total"])
    return sorted(out.values(), key=lambda b: (b.brand_name, b.currency))


def expert_earnings(*, user_id: int) -> QuerySet[Earning]:
    return (
        Earning.objects.filter(expert__user_id=user_id)
        .select_related("brand", "question__product")
        .order_by("-earned_at", "-pk")
    )


def expert_earnings_by_day(
    *, user_id: int, since: datetime, zone: Any
) -> dict[tuple[Any, str], int]:
    """What she earned per local day (her time zone) and currency since ``since``: the net
    plus any bonus of each earning booked in the ledger, in minor units, summed in SQL
    (reversed earnings count for nothing). One query."""
    rows = (
        Earning.objects.filter(expert__user_id=user_id, earned_at__gte=since)
        .exclude(status=Earning.Status.REVERSED)
        .annotate(day=TruncDate("earned_at", tzinfo=zone))
        .values("day", "currency")
        .annotate(total=Sum(F("net") + F("bonus")))
        .order_by()
    )
    return {(row["day"], row["currency"]): int(row["total"]) for row in rows}


def expert_payouts(*, user_id: int) -> QuerySet[Payout]:
    return (
        Payout.objects.filter(expert__user_id=user_id)
        .select_related("brand", "destination")
        .order_by("-created_at", "-pk")
    )


def brand_owed(*, brand: Brand) -> list[tuple[str, int]]:
    """What the brand owes the platform per currency (positive): minus its payable balance."""
    rows = (
        Account.objects.filter(owner_type=Account.Owner.BRAND, brand=brand)
        .filter(Exists(Posting.objects.filter(account_id=OuterRef("pk"))))
        .values("currency")
        .annotate(total=Sum("balance"))
        .order_by("currency")
    )
    return [(row["currency"], -int(row["total"])) for row in rows]


def brand_statement(*, brand: Brand) -> QuerySet[Posting]:
    """Every posting on the brand's payable account, newest first, with its transaction."""
    return (
        Posting.objects.filter(account__owner_type=Account.Owner.BRAND, account__brand=brand)
        .select_related("transaction", "account", "transaction__expert__user")
        .order_by("-transaction__created_at", "-pk")
    )


def brand_expert_lines(*, brand: Brand) -> list[dict[str, Any]]:
    """Per expert and currency: pending, available (what the next batch pays), paid out."""
    accounts = Account.objects.filter(owner_type=Account.Owner.EXPERT, brand=brand).select_related(
        "expert__user__expert_profile"
    )
    totals = balances_by_account(accounts)
    lines: dict[tuple[int, str], dict[str, Any]] = defaultdict(dict)
    for account in accounts:
        line = lines[(account.expert_id, account.currency)]
        if not line:
            profile = getattr(account.expert.user, "expert_profile", None)
            line.update(
                expert_id=account.expert_id,
                name=profile.display_name if profile else account.expert.user.display_name,
                currency=account.currency,
                pending=0,
                available=0,
                paid_out=0,
                expert_debt=0,
            )
        line[account.kind] = line.get(account.kind, 0) + totals.get(account.pk, 0)
    for line in lines.values():
        for kind in ("pending", "available", "paid_out"):
            line[f"{kind}_display"] = format_money(line[kind], line["currency"])
        line["owed"] = max(0, -line["expert_debt"])
        line["owed_display"] = format_money(line["owed"], line["currency"])
    return sorted(lines.values(), key=lambda line: (line["name"], line["currency"]))


def brand_reconciliation_issues(*, brand: Brand, viewer: Viewer) -> QuerySet[ReconciliationIssue]:
    """The open differences the nightly reconciliation found in the brand's money."""
    return (
        ReconciliationIssue.objects.visible_to(viewer)
        .unresolved()
        .filter(brand=brand)
        .select_related("payout", "account")
        .order_by("-detected_at", "-pk")
    )


def brand_batches(*, brand: Brand) -> QuerySet[PayoutBatch]:
    return (
        PayoutBatch.objects.filter(brand=brand)
        .prefetch_related("payouts__expert__user", "payouts__destination")
        .order_by("-created_at", "-pk")
    )


def brand_held_earnings(*, brand: Brand) -> QuerySet[Earning]:
    return (
        Earning.objects.filter(brand=brand)
        .filter(Q(status=Earning.Status.HELD) | Q(status=Earning.Status.PENDING))
        .select_related("expert__user", "question__product")
        .order_by("clears_at")
    )


def rate_card_current(*, brand: Brand) -> RateCard | None:
    return (
        RateCard.objects.filter(brand=brand)
        .order_by("-effective_from", "-version")
        .prefetch_related("lines__product", "lines__category")
        .first()
    )


def earning_entries(*, earning: Earning) -> list[dict[str, Any]]:
    """The ledger entries about one earning's question, as the expert sees them: for each
    transaction, how it moved the expert's pending and available balances."""
    rows = []
    transactions = (
        Transaction.objects.filter(question_id=earning.question_id, expert_id=earning.expert_id)
        .prefetch_related("postings__account")
        .order_by("created_at", "pk")
    )
    for entry in transactions:
        moves = {"pending": 0, "available": 0}
        for posting in entry.postings.all():
            if posting.account.expert_id == earning.expert_id and posting.account.kind in moves:
                moves[posting.account.kind] += posting.amount
        rows.append(
            {
                "entry": entry,
                "pending": format_money(moves["pending"], earning.currency),
                "available": format_money(moves["available"], earning.currency),
            }
        )
    return rows
