"""Candidate selection reads a few dozen experts by index, not the whole pool: the most
recently active and the strongest on the product, plus the customer's preferred expert."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.accounts import user_create
from marketplace import services as marketplace
from marketplace.models import Expert
from routing import services
from routing.selectors import (
    expert_candidates_for_question,
    recency_key,
    routing_settings_for,
)
from routing.services.questions import _recency_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def hedy(cast: Any) -> Expert:
    """An approved, online expert with a weak skill on the trail shoe and recent resolutions."""
    person = user_create(email="hedy@example.com", password=None, name="Hedy Lamarr")
    marketplace.expert_profile_upsert(user=person, display_name="Hedy Lamarr", languages=["en"])
    expert = marketplace.expert_enrol(
        brand=cast.acme, user=person, status="approved", actor=cast.sam
    )
    marketplace.expert_skill_set(expert=expert, product=cast.trail_shoe, level=1, actor=cast.sam)
    services.presence_set(user=person, status="online")
    for _ in range(3):
        _recency_add(expert_id=expert.pk, brand_id=cast.acme.pk)
    return expert


def candidate_names(question: Any, step: int = 1) -> set[str]:
    settings = routing_settings_for(question.brand_id)
    found = expert_candidates_for_question(question=question, step=step, settings=settings)
    return {c.expert.user.name for c in found}


def test_a_resolution_keeps_the_recency_key_in_step_with_the_recency(hedy: Expert) -> None:
    hedy.refresh_from_db()
    assert hedy.recency > 2
    assert hedy.recency_key == pytest.approx(recency_key(hedy.recency, hedy.recency_seq))


def test_with_a_limit_of_one_the_strongest_and_the_most_recent_are_the_candidates(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None, hedy: Expert, settings: Any
) -> None:
    # given: ada is verified level 5, grace self-rated 3, hedy level 1 but recently active
    online(cast.ada, cast.grace)
    question = ask()
    settings.GIGCX_ROUTING_CANDIDATES = 1
    # when / then: grace is neither, so she is not read
    assert candidate_names(question) == {"Ada Lovelace", "Hedy Lamarr"}
    # a limit above the pool reads everyone, as a full scan would
    settings.GIGCX_ROUTING_CANDIDATES = 50
    assert candidate_names(question) == {"Ada Lovelace", "Grace Hopper", "Hedy Lamarr"}


def test_the_customers_preferred_expert_is_a_candidate_outside_both_walks(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None, hedy: Expert, settings: Any
) -> None:
    online(cast.ada, cast.grace)
    grace_expert = Expert.objects.get(brand=cast.acme, user=cast.grace)
    question = ask(preferred_expert_id=grace_expert.pk)
    settings.GIGCX_ROUTING_CANDIDATES = 1
    # when / then: she is scored, and the preference (8 points) wins the offer
    assert candidate_names(question) == {"Ada Lovelace", "Grace Hopper", "Hedy Lamarr"}
    [offer] = services.routing_offer_question(question_id=question.pk)
    assert offer.expert == grace_expert
    assert offer.breakdown["preferred"]["value"] == 1.0


def test_the_walks_still_apply_every_rule_of_the_candidate_set(
    cast: Any, ask: Any, online: Any, hedy: Expert, settings: Any
) -> None:
    # given: the recent expert speaks only German, the question is in English
    marketplace.expert_profile_upsert(user=hedy.user, display_name="Hedy Lamarr", languages=["de"])
    online(cast.ada)
    settings.GIGCX_ROUTING_CANDIDATES = 1
    # when / then
    assert candidate_names(ask()) == {"Ada Lovelace"}
    # and no product: the best rated of anyone online who speaks it (step 3)
    assert candidate_names(ask(product=None), step=3) == {"Ada Lovelace"}
