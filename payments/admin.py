"""Read-only admin for money: the ledger is append-only, and payouts move only through
services (a hand-edited status would pay twice or lose a payout)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payments.models import (
    Account,
    Earning,
    Payout,
    PayoutBatch,
    PayoutDestination,
    Posting,
    ProviderEvent,
    RateCard,
    RateCardLine,
    ReconciliationIssue,
    Transaction,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "idempotency_key", "brand", "memo"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "memo"]
    inlines = [PostingInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["pk", "owner_type", "brand", "expert", "kind", "currency"]
    list_filter = ["owner_type", "kind", "currency"]


@admin.register(Earning)
class EarningAdmin(ReadOnlyAdmin):
    list_display = ["question", "expert", "brand", "net", "currency", "status", "clears_at"]
    list_filter = ["status", "hold"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "expert",
        "brand",
        "amount",
        "currency",
        "provider",
        "status",
        "created_at",
    ]
    list_filter = ["status", "provider"]
    exclude = ["destination"]


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "brand", "created_at", "created_by"]


@admin.register(RateCard)
class RateCardAdmin(ReadOnlyAdmin):
    list_display = [
        "brand",
        "version",
        "effective_from",
        "currency",
        "default_amount",
        "platform_fee_bps",
    ]


admin.site.register(RateCardLine, ReadOnlyAdmin)
admin.site.register(ProviderEvent, ReadOnlyAdmin)


@admin.register(PayoutDestination)
class PayoutDestinationAdmin(ReadOnlyAdmin):
    list_display = ["user", "provider", "masked", "is_active", "created_at"]
    exclude = ["iban", "stripe_account"]


@admin.register(ReconciliationIssue)
class ReconciliationIssueAdmin(admin.ModelAdmin):
    """Site admins see every difference the nightly reconciliation found. Read-only: a
    difference is resolved by fixing its cause, and the next run marks it resolved."""

    list_display = (
        "detected_at",
        "kind",
        "brand",
        "payout",
        "account",
        "expected",
        "found",
        "resolved_at",
    )
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    readonly_fields = [f.name for f in ReconciliationIssue._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
