"""A burst of resolutions across several experts and two brands, for the earnings batch tests
(tests/payments/test_earnings_batch.py, tests/races/test_earnings_batch_races.py): every
question goes through routing, is accepted and resolved through the services, and its
``question.resolved`` event is left undelivered (no on-commit callback runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gigcx.accounts import user_create
from marketplace import services as marketplace
from marketplace.models import Expert, Product
from payments import services as payments
from routing import services as routing
from routing.models import Question, RoutingSettings
from routing.services.presence import presence_set


@dataclass
class Burst:
    """Who answers what: (user, expert, brand, product) in turn."""

    cast: Any
    seats: list[tuple[Any, Expert, Any, Product]]

    def resolve(self, count: int) -> list[Question]:
        """``count`` questions on each seat's product in turn, each offered to an online
        expert who knows it, accepted and resolved; their events are left undelivered."""
        questions = []
        for user, *_ in self.seats:
            presence_set(user=user, status="online")
        users = {expert.pk: user for user, expert, *_ in self.seats}
        for n in range(count):
            seat, expert, brand, product = self.seats[n % len(self.seats)]
            sharing = [user for user, _, _, other in self.seats if other == product]
            if len(sharing) > 1:  # experts on the same product take turns being online
                for user in sharing:
                    presence_set(user=user, status="online" if user == seat else "offline")
            question, _ = routing.question_create(
                brand=brand,
                asked_by=self.cast.carol,
                body=f"Question {n} about the {product.name}: does it last?",
                product_id=product.pk,
            )
            question.language = "en"
            question.save(update_fields=["language"])
            routing.question_send_to_experts(question=question)
            [offer] = routing.routing_offer_question(question_id=question.pk)
            assert offer.expert_id == expert.pk
            user = users[offer.expert_id]
            routing.assignment_accept(assignment_id=offer.pk, user=user)
            questions.append(routing.question_resolve(question_id=question.pk, actor=user))
        return questions


def burst_world(cast: Any) -> Burst:
    """Acme (EUR, the ``rate_card`` fixture must exist: 6.00 the trail shoe, 4.00 the rest,
    15 % fee): ada on the trail shoe, grace on the tent. Northwind (USD, 3.00 a question, 5.00
    for its Wheels category, 10 % fee): two experts of its own."""
    tent = Product.objects.get(brand=cast.acme, name="Ridgeline 2P Tent")
    grace_expert = Expert.objects.get(brand=cast.acme, user=cast.grace)
    seats: list[tuple[Any, Expert, Any, Product]] = [
        (cast.ada, cast.ada_expert, cast.acme, cast.trail_shoe),
        (cast.grace, grace_expert, cast.acme, tent),
    ]
    for name in ("Olga", "Pete"):
        user = user_create(
            email=f"{name.lower()}@northwind.example",
            password="burst-pass-123",
            name=name,
            verified=True,
        )
        marketplace.expert_profile_upsert(user=user, display_name=name, languages=["en"])
        expert = marketplace.expert_enrol(
            brand=cast.northwind, user=user, status="approved", actor=cast.nora
        )
        marketplace.expert_skill_set(
            expert=expert, product=cast.northwind_product, level=4, actor=cast.nora
        )
        seats.append((user, expert, cast.northwind, cast.northwind_product))
    for brand in (cast.acme, cast.northwind):
        RoutingSettings.objects.update_or_create(
            brand=brand, defaults={"fairness_cap_per_hour": 10_000}
        )
    payments.rate_card_create(
        brand=cast.northwind,
        actor=cast.nora,
        currency="USD",
        default_amount=300,
        platform_fee_bps=1000,
        lines=[{"category_id": cast.northwind_product.category_id, "amount": 500}],
    )
    return Burst(cast, seats)
