"""The walks' SQL is compiled once per shape and reused with each decision's values
(routing.selectors._run_walk): it must find the same candidates as the walks built afresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.accounts import user_create
from marketplace import services as marketplace
from marketplace.models import ExpertProfile
from routing import selectors, services
from routing.models import Assignment
from routing.selectors import expert_candidates_for_question, routing_settings_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(cast: Any) -> dict[str, Any]:
    """Eight more online experts with skills on the trail shoe or another shoe of its
    category, a few languages, recent resolutions and quality scores."""
    boot = marketplace.product_create(
        brand=cast.acme,
        name="Summit Boot",
        category_id=cast.trail_shoe.category_id,
        actor=cast.sam,
    )
    languages = [["en"], ["de"], ["en", "de"], ["fr"], ["fr"], ["de"], ["en"], ["es", "de"]]
    for i, spoken in enumerate(languages):
        person = user_create(email=f"pool{i}@example.com", password=None, name=f"Pool {i}")
        marketplace.expert_profile_upsert(user=person, display_name=f"Pool {i}", languages=spoken)
        if i == 3:  # none set: speaks anything
            ExpertProfile.objects.filter(user=person).update(languages=[])
        expert = marketplace.expert_enrol(
            brand=cast.acme, user=person, status="approved", actor=cast.sam
        )
        product = cast.trail_shoe if i % 3 == 0 else boot
        marketplace.expert_skill_set(
            expert=expert, product=product, level=1 + i % 5, verified=i % 2 == 0, actor=cast.sam
        )
        if i % 4 == 1:
            marketplace.expert_skill_set(expert=expert, product=cast.trail_shoe, level=2)
        expert.quality_score = None if i == 3 else round(0.1 * i, 2)
        expert.recency = float(i % 3)
        expert.recency_seq = 0
        expert.recency_key = selectors.recency_key(expert.recency, 0)
        expert.save(update_fields=["quality_score", "recency", "recency_seq", "recency_key"])
        services.presence_set(user=person, status="online")
    services.presence_set(user=cast.ada, status="online")
    services.presence_set(user=cast.grace, status="online")
    return {"boot": boot}


def decide(question: Any, step: int, *, second_round: bool = False) -> list[tuple[Any, ...]]:
    settings = routing_settings_for(question.brand_id)
    now = timezone.now()
    found = expert_candidates_for_question(
        question=question, step=step, settings=settings, now=now, second_round=second_round
    )
    return [(c.expert.pk, c.presence.pk, c.features) for c in found]


@pytest.mark.parametrize("limit", [2, 50])
def test_the_cached_walks_find_what_the_walks_built_afresh_find(
    cast: Any, ask: Any, pool: dict[str, Any], settings: Any, monkeypatch: Any, limit: int
) -> None:
    settings.GIGCX_ROUTING_CANDIDATES = limit
    on_shoe = ask()
    on_boot = ask("Are these boots waterproof?", product=pool["boot"])
    german = ask("Passen die Schuhe gut?")
    german.language = "de"
    german.save(update_fields=["language"])
    no_language = ask("Which sizes are there?")
    no_language.language = ""
    no_language.save(update_fields=["language"])
    no_product = ask("Where is the size chart?", product=None)
    anonymous = ask("Do they run narrow?")
    anonymous.asked_by = None
    anonymous.save(update_fields=["asked_by"])
    # ada let an offer on the shoe question run out: not asked again until the second round
    Assignment.objects.create(
        question=on_shoe,
        expert=cast.ada_expert,
        step=1,
        score=1.0,
        status=Assignment.Status.EXPIRED,
        offered_at=timezone.now() - timedelta(minutes=5),
        expires_at=timezone.now() - timedelta(minutes=4),
    )
    cases = [
        (on_shoe, 1, False),
        (on_shoe, 2, False),
        (on_shoe, 3, False),
        (on_shoe, 1, True),
        (on_boot, 1, False),
        (on_boot, 2, False),
        (german, 1, False),
        (german, 2, False),
        (german, 3, False),
        (no_language, 2, False),
        (no_product, 3, False),
        (anonymous, 2, False),
    ]
    selectors._walk_sql.clear()
    cached = [decide(q, step, second_round=r) for q, step, r in cases]
    # twice: the second time every walk comes from the cache
    assert [decide(q, step, second_round=r) for q, step, r in cases] == cached
    assert selectors._walk_sql
    monkeypatch.setattr(selectors, "WALK_SQL_CACHE", False)
    fresh = [decide(q, step, second_round=r) for q, step, r in cases]
    assert cached == fresh
    # the cases differ: the comparison is not between empty lists
    assert all(cached[:3])
    assert len({len(found) for found in cached}) > 1
