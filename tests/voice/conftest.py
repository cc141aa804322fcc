"""Voice fixtures: carol's question answered by ada, a rate card paying for calls."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from marketplace import services as marketplace
from payments.services import rate_card_create
from routing import services as routing
from routing.models import Assignment, Question


@pytest.fixture
def assigned(cast: Any, ask: Any, online: Any, held_tasks: Any) -> Question:
    """Carol asked about the trail shoe and ada took it (ada: one of two slots in use)."""
    online(cast.ada)
    question = ask()
    offers = routing.routing_offer_question(question_id=question.pk)
    assert [o.expert.user for o in offers] == [cast.ada]
    routing.assignment_accept(assignment_id=offers[0].pk, user=cast.ada)
    question.refresh_from_db()
    assert Assignment.objects.filter(question=question, status="accepted").exists()
    return question


@pytest.fixture
def call_rates(cast: Any) -> Any:
    """Acme pays 1.00 per call plus 0.50 per started minute, with a 20 % platform fee."""
    return rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=300,
        platform_fee_bps=2000,
        call_amount=100,
        call_minute_amount=50,
    )


@pytest.fixture
def ada_works_days(cast: Any) -> None:
    """Ada's hours: every day 09:00-17:00 UTC."""
    marketplace.expert_profile_update(
        user=cast.ada,
        timezone="UTC",
        availability=[(day, time(9, 0), time(17, 0)) for day in range(7)],
    )
