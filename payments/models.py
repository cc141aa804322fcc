"""Payments: the double-entry ledger, rate cards, earnings and payouts.

Money is integer minor units (cents) everywhere, with one currency per account.

Ledger rows (``Transaction``, ``Posting``) are append-only: no service updates or deletes them,
the admin is read-only, and on PostgreSQL triggers refuse UPDATE and DELETE and a deferred
constraint trigger refuses, at COMMIT, a transaction whose postings do not sum to zero per
currency (migration 0002). Corrections are reversing transactions.

``Earning`` and ``Payout`` are workflow rows whose status moves through conditional UPDATEs
(claims); every money movement they cause is a ledger transaction with its own idempotency key.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from gigcx.tenancy import ScopedQuerySet, Viewer
from marketplace.models import Brand, Category, Expert, Product
from routing.models import Question

# Minor-unit exponents (https://docs.stripe.com/currencies): JPY has none, KWD has three.
CURRENCY_EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "SEK": 2, "PLN": 2, "JPY": 0}
CURRENCY_CHOICES = [(code, code) for code in CURRENCY_EXPONENTS]
# The smallest payout an expert may request, per currency, in minor units: a transfer costs
# the platform a fixed fee, so tiny payouts are refused.
MINIMUM_PAYOUT = {"USD": 1000, "EUR": 1000, "GBP": 1000, "CHF": 1000, "SEK": 10000}
MINIMUM_PAYOUT_DEFAULT = 1000


def minimum_payout(currency: str) -> int:
    return MINIMUM_PAYOUT.get(currency, MINIMUM_PAYOUT_DEFAULT)


def format_money(amount: int, currency: str) -> str:
    """``1234, "EUR"`` -> ``"12.34 EUR"``, or ``"12,34 EUR"`` when German is active: the
    number in the active language's format (display only; never parsed back)."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    value = Decimal(amount).scaleb(-exponent)
    number = number_format(value, decimal_pos=exponent, use_l10n=True, force_grouping=True)
    return f"{number} {currency}"


def _staff_or_expert(viewer: Viewer, brand_field: str, expert_user_field: str) -> Q:
    condition = Q(**{f"{brand_field}__in": viewer.staff_brand_ids()})
    if viewer.user_id is not None:
        condition |= Q(**{expert_user_field: viewer.user_id})
    return condition


# ---------------------------------------------------------------------------------------------
# Ledger
# ---------------------------------------------------------------------------------------------


class AccountQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> AccountQuerySet:
        # Platform accounts (no brand) are for site admins only.
        return self._site_admin_or(viewer, _staff_or_expert(viewer, "brand_id", "expert__user_id"))


class Account(models.Model):
    """One balance: an owner (an expert's place in a brand's pool, a brand, or the platform),
    a kind and a currency. The balance is the sum of its postings, kept as a running total on
    the row (``balance``) by ``ledger.ledger_post`` in the same transaction and under the same
    row lock as the postings; ``manage.py ledger_reconcile`` checks it against the sum."""

    class Owner(models.TextChoices):
        EXPERT = "expert", _("Expert")
        BRAND = "brand", _("Brand")
        PLATFORM = "platform", _("Platform")

    class Kind(models.TextChoices):
        PENDING = "pending", _("Pending (clearing)")
        AVAILABLE = "available", _("Available")
        PAID_OUT = "paid_out", _("Paid out")
        BRAND_PAYABLE = "brand_payable", _("Owed by the brand")
        PLATFORM_FEE = "platform_fee", _("Platform fee")
        # What the expert owes back: a clawback bigger than the available balance books the
        # rest here (negative, like brand payable), and later credits repay it first.
        EXPERT_DEBT = "expert_debt", _("Owed by the expert")

    owner_type = models.CharField(max_length=10, choices=Owner.choices)
    # Experts are paid per brand program (Expert is the user's place in one brand's pool), so
    # a brand's batch only ever moves that brand's money; the brand is set for expert accounts
    # too, which is what staff scoping filters on.
    expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)
    # The sum of the account's postings in minor units. Only ledger_post moves it, by a
    # relative update of the locked row; reading it costs one row, not one per posting.
    balance = models.BigIntegerField(default=0, editable=False)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "kind", "currency"],
                condition=Q(owner_type="expert"),
                name="account_one_per_expert_kind_currency",
            ),
            models.UniqueConstraint(
                fields=["brand", "kind", "currency"],
                condition=Q(owner_type="brand"),
                name="account_one_per_brand_kind_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(owner_type="platform"),
                name="account_one_per_platform_kind_currency",
            ),
            models.CheckConstraint(
                condition=(
                    Q(owner_type="expert", expert__isnull=False, brand__isnull=False)
                    | Q(owner_type="brand", expert__isnull=True, brand__isnull=False)
                    | Q(owner_type="platform", expert__isnull=True, brand__isnull=True)
                ),
                name="account_owner_matches_type",
            ),
        ]

    def __str__(self) -> str:
        owner = self.expert or self.brand or "platform"
        return f"{owner} {self.kind} {self.currency}"


class TransactionQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> TransactionQuerySet:
        return self._site_admin_or(viewer, _staff_or_expert(viewer, "brand_id", "expert__user_id"))


class Transaction(models.Model):
    """One balanced journal entry. Append-only; corrections are new transactions that
    reference the one they reverse."""

    class Kind(models.TextChoices):
        EARNING = "earning", _("Earning booked")
        BONUS = "bonus", _("Rating bonus")
        CLEARANCE = "clearance", _("Earning cleared")
        EARNING_REVERSAL = "earning_reversal", _("Earning reversed")
        PAYOUT = "payout", _("Payout")
        PAYOUT_RETURN = "payout_return", _("Payout returned")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # What the entry is about, for statements and scoping. Never changed after insert.
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payout = models.ForeignKey(
        "Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class PostingQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> PostingQuerySet:
        return self._site_admin_or(
            viewer, _staff_or_expert(viewer, "account__brand_id", "account__expert__user_id")
        )


class Posting(models.Model):
    """One leg of a transaction: a signed amount in minor units on one account."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()

    objects = PostingQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.account_id}"


# ---------------------------------------------------------------------------------------------
# Rate cards
# ---------------------------------------------------------------------------------------------


class RateCardQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> RateCardQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class RateCard(models.Model):
    """One version of a brand's rate card. Never edited: a change is a new version whose
    ``effective_from`` is when it was saved, and a question is paid by the version in force
    when it was resolved."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="rate_cards")
    version = models.PositiveIntegerField()
    effective_from = models.DateTimeField(db_index=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    default_amount = models.PositiveIntegerField(help_text="Per resolved question, minor units.")
    platform_fee_bps = models.PositiveIntegerField(help_text="Platform's share, basis points.")
    bonus_amount = models.PositiveIntegerField(default=0)
    bonus_min_rating = models.PositiveSmallIntegerField(default=5)
    # Paid on top, per question resolved during a staffing surge by an expert who was
    # invited to it (routing's StaffingSurge); 0: no surge bonus.
    surge_bonus_amount = models.PositiveIntegerField(default=0)
    hold_below_rating = models.PositiveSmallIntegerField(
        default=0, help_text="Ratings below this hold the earning for review; 0 turns it off."
    )
    clearance_days = models.PositiveSmallIntegerField(default=3)
    # Calls with a customer (voice): a flat amount per connected call and/or an amount per
    # started minute, both minor units, paid on top of the question's own earning.
    call_amount = models.PositiveIntegerField(default=0, help_text="Per connected call.")
    call_minute_amount = models.PositiveIntegerField(
        default=0, help_text="Per started minute of a call."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RateCardQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "version"], name="ratecard_version_unique"),
            models.CheckConstraint(
                condition=Q(platform_fee_bps__lte=10000), name="ratecard_fee_at_most_100pct"
            ),
            models.CheckConstraint(
                condition=Q(bonus_min_rating__gte=1, bonus_min_rating__lte=5),
                name="ratecard_bonus_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(hold_below_rating__lte=5), name="ratecard_hold_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} rate card v{self.version}"


class RateCardLineQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> RateCardLineQuerySet:
        return self._site_admin_or(viewer, Q(rate_card__brand_id__in=viewer.staff_brand_ids()))


class RateCardLine(models.Model):
    """An amount for one product or one category of a rate card version."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.PositiveIntegerField()

    objects = RateCardLineQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, category__isnull=True)
                | Q(product__isnull=True, category__isnull=False),
                name="ratecardline_product_xor_category",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product or self.category}: {self.amount}"


# ---------------------------------------------------------------------------------------------
# Earnings
# ---------------------------------------------------------------------------------------------


class EarningQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> EarningQuerySet:
        return self._site_admin_or(viewer, _staff_or_expert(viewer, "brand_id", "expert__user_id"))

    def due(self, now: object) -> EarningQuerySet:
        return self.filter(status=Earning.Status.PENDING, clears_at__lte=now)


class Earning(models.Model):
    """What one resolved question earned its expert. The money is in the ledger
    (transaction ``earning:<question id>``); this row tracks clearing and holds."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        HELD = "held", _("Held")
        AVAILABLE = "available", _("Available")
        REVERSED = "reversed", _("Reversed")

    class Hold(models.TextChoices):
        NONE = "", _("Not held")
        STAFF = "staff", _("Held by staff")
        DISPUTE = "dispute", _("Disputed")
        RATING = "rating", _("Low rating")

    question = models.OneToOneField(Question, on_delete=models.PROTECT, related_name="earning")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="earnings")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="earnings")
    rate_card = models.ForeignKey(RateCard, on_delete=models.PROTECT, related_name="earnings")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    gross = models.PositiveIntegerField()
    fee = models.PositiveIntegerField()
    net = models.PositiveIntegerField()
    bonus = models.PositiveIntegerField(default=0)
    # The staffing surge bonus (``surge-bonus:<question id>``): resolved during a surge by an
    # expert invited to it.
    surge_bonus = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    hold = models.CharField(max_length=10, choices=Hold.choices, blank=True, default="")
    hold_reason = models.CharField(max_length=300, blank=True)
    earned_at = models.DateTimeField()
    clears_at = models.DateTimeField(db_index=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects = EarningQuerySet.as_manager()

    class Meta:
        ordering = ["-earned_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gross=models.F("fee") + models.F("net")), name="earning_gross_split"
            )
        ]

    def __str__(self) -> str:
        return f"Earning for question {self.question_id} ({self.status})"

    @property
    def total_net(self) -> int:
        return self.net + self.bonus + self.surge_bonus

    @property
    def badge(self) -> str:
        return {"available": "ok", "held": "probation", "reversed": "suspended"}.get(
            self.status, ""
        )

    @property
    def net_display(self) -> str:
        return format_money(self.total_net, self.currency)

    @property
    def gross_display(self) -> str:
        return format_money(self.gross, self.currency)


# ---------------------------------------------------------------------------------------------
# Payouts
# ---------------------------------------------------------------------------------------------


class PayoutDestinationQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> PayoutDestinationQuerySet:
        # Only the person themselves; brands see masked details through payouts.
        return self._site_admin_or(viewer, Q(user_id=viewer.user_id, user_id__isnull=False))


class PayoutDestination(models.Model):
    """Where an expert's money goes. Only what the provider needs is stored: a Stripe Connect
    account id, or the account holder and IBAN for the bank file. Replaced, not edited: the
    newest active row is the one in use, and payouts keep pointing at the one they used."""

    class Provider(models.TextChoices):
        STRIPE = "stripe", _("Stripe Connect")
        BANK = "bank", _("Bank transfer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_destinations"
    )
    provider = models.CharField(max_length=10, choices=Provider.choices)
    stripe_account = models.CharField(max_length=64, blank=True)
    account_holder = models.CharField(max_length=120, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PayoutDestinationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_active=True), name="payoutdestination_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.masked}"

    @property
    def masked(self) -> str:
        if self.provider == self.Provider.STRIPE:
            return f"acct_…{self.stripe_account[-4:]}"
        return f"{self.iban[:2]}•• •••• {self.iban[-4:]}"


class PayoutBatchQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> PayoutBatchQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class PayoutBatch(models.Model):
    """One run of a brand's payouts: every expert's available balance, plus the bank-transfer
    payouts experts requested since the last run (they go out in this batch's file)."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="payout_batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PayoutBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "payout batches"

    def __str__(self) -> str:
        return f"{self.brand} batch {self.pk}"


class PayoutQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> PayoutQuerySet:
        return self._site_admin_or(viewer, _staff_or_expert(viewer, "brand_id", "expert__user_id"))


class Payout(models.Model):
    """Money leaving the platform for one expert.

    requested -> sending -> paid | failed. The row and its idempotency key are committed
    before the provider is called; the provider is called outside any transaction with that
    key; the outcome is recorded by a second transaction. The money left ``available`` when the
    row was created (transaction ``payout:<id>``); a failure returns it (``payout-return:<id>``).
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SENDING = "sending", _("Sending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    OPEN_STATUSES = (Status.REQUESTED, Status.SENDING)

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="payouts")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="payouts")
    batch = models.ForeignKey(
        PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    destination = models.ForeignKey(
        PayoutDestination, on_delete=models.PROTECT, related_name="payouts"
    )
    provider = models.CharField(max_length=10, choices=PayoutDestination.Provider.choices)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    idempotency_key = models.CharField(max_length=120, unique=True)
    # The requesting client's own Idempotency-Key header, so a retried request (a phone that
    # lost the answer) returns the first payout instead of making a second one.
    client_key = models.CharField(max_length=120, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = PayoutQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_positive"),
            models.UniqueConstraint(
                fields=["expert", "client_key"],
                condition=~Q(client_key=""),
                name="payout_client_key_once_per_expert",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["requested", "sending"]),
                name="payout_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Payout {self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def badge(self) -> str:
        return {"paid": "ok", "failed": "suspended", "sending": "verified"}.get(
            self.status, "applied"
        )

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


class ProviderEventQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ProviderEventQuerySet:
        return self._site_admin_or(viewer, Q(pk__in=[]))


class ProviderEvent(models.Model):
    """A webhook event from a payout provider, stored once by its id (duplicates are no-ops)."""

    provider = models.CharField(max_length=10)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)

    objects = ProviderEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="providerevent_once_per_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


# ---------------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------------


class ReconciliationIssueQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ReconciliationIssueQuerySet:
        # A brand's staff see their brand's issues; issues with no brand (an account of the
        # platform, a provider transfer matching no payout) are for site admins only.
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))

    def unresolved(self) -> ReconciliationIssueQuerySet:
        return self.filter(resolved_at__isnull=True)


class ReconciliationIssue(models.Model):
    """A difference the nightly reconciliation found between the ledger, the payouts and the
    provider's events (payments.services.reconciliation). Found once, kept open while the
    difference lasts, and resolved by the first run that no longer finds it."""

    class Kind(models.TextChoices):
        PAYOUT_NOT_BOOKED = "payout_not_booked", _("Payout without its ledger entry")
        PAYOUT_AMOUNT = "payout_amount", _("Ledger amount differs from the payout")
        PAYOUT_NOT_RETURNED = "payout_not_returned", _("Failed payout whose money was not returned")
        PAYOUT_RETURNED = "payout_returned", _("Money returned for a payout that did not fail")
        PROVIDER_DISAGREES = "provider_disagrees", _("Provider and payout disagree")
        UNMATCHED_TRANSFER = "unmatched_transfer", _("Provider transfer that matches no payout")
        BALANCE_MISMATCH = "balance_mismatch", _("Balance differs from the sum of its postings")
        NEGATIVE_BALANCE = "negative_balance", _("Expert balance below zero")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    # What the issue is about; the same kind about the same thing is one open issue.
    key = models.CharField(max_length=200)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=120, blank=True)
    expected = models.CharField(max_length=120, blank=True)
    found = models.CharField(max_length=120, blank=True)
    detected_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ReconciliationIssueQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(resolved_at__isnull=True),
                name="reconciliationissue_one_open_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: expected {self.expected}, found {self.found}"

    def _shown(self, value: str) -> str:
        """Minor units as money ("4200" -> "42.00 EUR"); a status or a note as it is."""
        currency = (
            self.payout.currency
            if self.payout is not None
            else self.account.currency
            if self.account is not None
            else None
        )
        if currency and value.lstrip("-").isdigit():
            return format_money(int(value), currency)
        return value

    @property
    def expected_display(self) -> str:
        return self._shown(self.expected)

    @property
    def found_display(self) -> str:
        return self._shown(self.found)

    @property
    def about(self) -> str:
        if self.payout_id:
            return f"Payout #{self.payout_id}"
        if self.account_id:
            return f"Account #{self.account_id}"
        return f"Transfer {self.reference}" if self.reference else "—"
