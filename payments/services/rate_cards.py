"""Rate cards: versioned, never edited in place, audit-logged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError
from marketplace.models import Brand, Category, Product
from payments.models import CURRENCY_EXPONENTS, RateCard, RateCardLine
from routing.models import Question


def rate_card_create(
    *,
    brand: Brand,
    actor: Any,
    currency: str,
    default_amount: int,
    platform_fee_bps: int,
    clearance_days: int = 3,
    bonus_amount: int = 0,
    bonus_min_rating: int = 5,
    hold_below_rating: int = 0,
    surge_bonus_amount: int = 0,
    lines: list[dict[str, int]] | None = None,
    call_amount: int = 0,
    call_minute_amount: int = 0,
) -> RateCard:
    """Save a new version of the brand's rate card, in force from now on: questions resolved
    from this moment are paid by it, earlier ones keep the version they were resolved under.

    ``lines`` are ``{"product_id": …, "amount": …}`` or ``{"category_id": …, "amount": …}``;
    ids of another brand are field errors.
    """
    if currency not in CURRENCY_EXPONENTS:
        raise ApplicationError(
            gettext("Unsupported currency."), fields={"currency": [gettext("Not supported.")]}
        )
    if not 0 <= platform_fee_bps <= 10000:
        raise ApplicationError(
            gettext("The fee is a share in basis points."),
            fields={"platform_fee_bps": [gettext("0 to 10000.")]},
        )
    bounds = {
        "default_amount": (default_amount, 0, 10**9),
        "clearance_days": (clearance_days, 0, 90),
        "bonus_amount": (bonus_amount, 0, 10**9),
        "bonus_min_rating": (bonus_min_rating, 1, 5),
        "surge_bonus_amount": (surge_bonus_amount, 0, 10**9),
        "hold_below_rating": (hold_below_rating, 0, 5),
        "call_amount": (call_amount, 0, 10**9),
        "call_minute_amount": (call_minute_amount, 0, 10**9),
    }
    for name, (value, low, high) in bounds.items():
        if not low <= value <= high:
            raise ApplicationError(
                gettext("A rate card value is out of range."),
                fields={name: [gettext("From %(low)s to %(high)s.") % {"low": low, "high": high}]},
            )
    rows: list[RateCardLine] = []
    for index, line in enumerate(lines or []):
        product_id, category_id = line.get("product_id"), line.get("category_id")
        if (product_id is None) == (category_id is None):
            raise ApplicationError(
                gettext("Each line names a product or a category."),
                fields={f"lines.{index}": [gettext("Give product_id or category_id, not both.")]},
            )
        if (
            product_id is not None
            and not Product.objects.filter(pk=product_id, brand=brand).exists()
        ):
            raise ApplicationError(
                gettext("Unknown product."),
                fields={f"lines.{index}.product_id": [gettext("No such product.")]},
            )
        if (
            category_id is not None
            and not Category.objects.filter(pk=category_id, brand=brand).exists()
        ):
            raise ApplicationError(
                gettext("Unknown category."),
                fields={f"lines.{index}.category_id": [gettext("No such category.")]},
            )
        if not 0 <= line["amount"] <= 10**9:
            raise ApplicationError(
                gettext("A line amount is out of range."),
                fields={f"lines.{index}.amount": [gettext("Too big.")]},
            )
        rows.append(
            RateCardLine(product_id=product_id, category_id=category_id, amount=line["amount"])
        )
    # Not money moving by itself (plain atomic: seed_demo calls it inside its transaction).
    with transaction.atomic():
        # Lock the brand row so two editors saving at once get consecutive versions.
        Brand.objects.select_for_update().filter(pk=brand.pk).first()
        latest = RateCard.objects.filter(brand=brand).aggregate(v=Max("version"))["v"] or 0
        card = RateCard.objects.create(
            brand=brand,
            version=latest + 1,
            effective_from=timezone.now(),
            currency=currency,
            default_amount=default_amount,
            platform_fee_bps=platform_fee_bps,
            clearance_days=clearance_days,
            bonus_amount=bonus_amount,
            bonus_min_rating=bonus_min_rating,
            hold_below_rating=hold_below_rating,
            call_amount=call_amount,
            call_minute_amount=call_minute_amount,
            surge_bonus_amount=surge_bonus_amount,
            created_by=actor if isinstance(getattr(actor, "pk", None), int) else None,
        )
        for row in rows:
            row.rate_card = card
        RateCardLine.objects.bulk_create(rows)
        audit_record(
            actor=actor,
            action="rate_card.changed",
            target=card,
            brand_id=brand.pk,
            data={
                "version": card.version,
                "currency": currency,
                "default_amount": default_amount,
                "platform_fee_bps": platform_fee_bps,
                "clearance_days": clearance_days,
                "lines": len(rows),
            },
        )
    return card


def rate_card_in_force(*, brand_id: int, at: datetime) -> RateCard | None:
    return (
        RateCard.objects.filter(brand_id=brand_id, effective_from__lte=at)
        .order_by("-effective_from", "-version")
        .first()
    )


def rate_for_question(*, card: RateCard, question: Question) -> int:
    """The most specific amount: the product's line, else its category's (nearest ancestor
    first), else the card's default."""
    chain: list[int] = []
    category = question.product.category if question.product_id and question.product else None
    while category is not None and category.pk not in chain:
        chain.append(category.pk)
        category = category.parent
    return rate_for(
        card=card, lines=list(card.lines.all()), product_id=question.product_id, categories=chain
    )


def rate_for(
    *, card: RateCard, lines: list[RateCardLine], product_id: int | None, categories: list[int]
) -> int:
    """The one pricing rule, without queries: the product's line, else the line of the nearest
    category in ``categories`` (the product's category, then its ancestors), else the card's
    default. The earnings batch prices many questions from rows it read once."""
    if product_id is not None:
        for line in lines:
            if line.product_id == product_id:
                return line.amount
        by_category = {line.category_id: line.amount for line in lines if line.category_id}
        for category_id in categories:
            if category_id in by_category:
                return by_category[category_id]
    return card.default_amount


def fee_split(*, gross: int, fee_bps: int) -> tuple[int, int]:
    """(fee, net) in minor units. The fee is rounded half up to a whole minor unit and the
    expert gets the rest, so the parts always sum exactly to ``gross``."""
    fee = (gross * fee_bps + 5000) // 10000
    return fee, gross - fee


def surge_bonus_now(brand_id: int) -> tuple[int, str, str]:
    """The staffing surge bonus of the brand's rate card in force: (amount, currency, label)."""
    from payments.models import format_money

    card = rate_card_in_force(brand_id=brand_id, at=timezone.now())
    if card is None or not card.surge_bonus_amount:
        return 0, "", ""
    return (
        card.surge_bonus_amount,
        card.currency,
        format_money(card.surge_bonus_amount, card.currency),
    )
