from __future__ import annotations

from typing import Any

import pytest

from marketplace import services as marketplace_services
from routing import services
from routing.models import Question


@pytest.fixture
def ask(cast: Any) -> Any:
    """``ask(body, product=..., **kw)``: carol asks Acme; the question skips triage and waits
    for an expert (what triage does for a human-first question)."""

    def make(
        body: str = "Do the Trailblazer 2 run narrow?", *, product: Any = "default", **kwargs: Any
    ) -> Question:
        product = cast.trail_shoe if product == "default" else product
        question, _ = services.question_create(
            brand=cast.acme,
            asked_by=kwargs.pop("asked_by", cast.carol),
            body=body,
            product_id=product.pk if product else None,
            **kwargs,
        )
        question.language = "en"
        question.save(update_fields=["language"])
        return services.question_send_to_experts(question=question)

    return make


@pytest.fixture
def online(cast: Any) -> Any:
    def go(*users: Any) -> None:
        for user in users:
            services.presence_set(user=user, status="online")

    return go


@pytest.fixture
def grace_knows_the_shoe(cast: Any) -> None:
    grace_expert = cast.acme.experts.get(user=cast.grace)
    marketplace_services.expert_skill_set(
        expert=grace_expert, product=cast.trail_shoe, level=3, actor=cast.sam
    )
