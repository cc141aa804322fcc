"""Demo data of the payments app: Acme's rate card (seed_demo)."""

from __future__ import annotations

from typing import Any

from marketplace.models import Brand, Product
from payments import services
from payments.models import RateCard


def seed(*, brand: Brand, actor: Any, created: list[str]) -> None:
    if RateCard.objects.filter(brand=brand).exists():
        return
    lines = [
        {"product_id": product.pk, "amount": 600}
        for product in Product.objects.filter(brand=brand, name="Trailblazer 2 Trail Shoe")
    ]
    services.rate_card_create(
        brand=brand,
        actor=actor,
        currency="EUR",
        default_amount=400,
        platform_fee_bps=1500,
        clearance_days=3,
        bonus_amount=100,
        bonus_min_rating=5,
        hold_below_rating=2,
        lines=lines,
    )
    created.append(f"rate card for {brand.name} (EUR 4.00 a question, trail shoes 6.00)")
