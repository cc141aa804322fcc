"""The copies routing's walks read instead of the pool: ``on_duty`` on an expert's rows
follows her presence, and each skill holds its product's category, so the category step
reads one index instead of one per product (routing.selectors)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gigcx.accounts import user_create
from marketplace import services as marketplace
from marketplace.models import Expert, ExpertSkill, Product
from routing import services
from routing.models import Presence
from routing.selectors import expert_candidates_for_question, routing_settings_for
from routing.services.presence import presences_close_windows, presences_expire_stale

pytestmark = pytest.mark.django_db


def duty(user: Any) -> set[bool]:
    """The on-duty marks on every Expert and ExpertSkill row of ``user``."""
    experts = Expert.objects.filter(user=user)
    return set(experts.values_list("on_duty", flat=True)) | set(
        ExpertSkill.objects.filter(expert__in=experts).values_list("on_duty", flat=True)
    )


def tent(cast: Any) -> Product:
    return Product.objects.get(brand=cast.acme, name="Ridgeline 2P Tent")


def candidate_names(question: Any, step: int) -> set[str]:
    settings = routing_settings_for(question.brand_id)
    found = expert_candidates_for_question(question=question, step=step, settings=settings)
    return {c.expert.user.name for c in found}


def test_going_online_and_away_marks_every_row_of_the_expert(cast: Any) -> None:
    # given: ada has never been online (new rows start on duty, the safe side)
    services.presence_set(user=cast.ada, status="offline")
    assert duty(cast.ada) == {False}
    # when / then
    services.presence_set(user=cast.ada, status="online")
    assert duty(cast.ada) == {True}
    services.presence_set(user=cast.ada, status="away")
    assert duty(cast.ada) == {False}
    # and a skill added while she is away is on duty until her status changes
    marketplace.expert_skill_set(expert=cast.ada_expert, product=tent(cast), level=2)
    services.presence_set(user=cast.ada, status="online")
    assert duty(cast.ada) == {True}


def test_the_sweeps_that_set_experts_away_take_them_off_duty(cast: Any, online: Any) -> None:
    online(cast.ada, cast.grace)
    Presence.objects.filter(user=cast.ada).update(
        last_heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    Presence.objects.filter(user=cast.grace).update(
        window_ends_at=timezone.now() - timedelta(minutes=1)
    )
    # when
    assert presences_expire_stale() == 1
    assert presences_close_windows() == 1
    # then
    assert duty(cast.ada) == {False}
    assert duty(cast.grace) == {False}


def test_an_expert_off_duty_is_not_walked_and_one_back_online_is(
    cast: Any, ask: Any, online: Any, settings: Any
) -> None:
    online(cast.ada)
    question = ask()
    assert candidate_names(question, step=1) == {"Ada Lovelace"}
    services.presence_set(user=cast.ada, status="offline")
    assert candidate_names(question, step=1) == set()
    services.presence_set(user=cast.ada, status="online")
    assert candidate_names(question, step=1) == {"Ada Lovelace"}


def test_a_skill_holds_its_products_category_and_follows_a_move(cast: Any) -> None:
    skill = ExpertSkill.objects.get(expert=cast.ada_expert, product=cast.trail_shoe)
    assert skill.category_id == cast.trail_shoe.category_id
    # when: the product moves to another category
    tents = tent(cast).category
    marketplace.product_update(product=cast.trail_shoe, actor=cast.sam, category_id=tents.pk)
    # then
    skill.refresh_from_db()
    assert skill.category_id == tents.pk
    marketplace.product_update(product=cast.trail_shoe, actor=cast.sam, category_id=None)
    skill.refresh_from_db()
    assert skill.category_id is None


def test_the_category_step_finds_the_strongest_on_another_product_of_the_category(
    cast: Any, ask: Any, online: Any, settings: Any
) -> None:
    # given: a boot in the shoe's category; grace knows it well, hedy a little, and three
    # more products of the category that nobody online knows
    footwear = cast.trail_shoe.category
    boot = marketplace.product_create(
        brand=cast.acme, name="Summit Boot", category_id=footwear.pk, actor=cast.sam
    )
    for i in range(3):
        marketplace.product_create(
            brand=cast.acme, name=f"Sandal {i}", category_id=footwear.pk, actor=cast.sam
        )
    grace_expert = Expert.objects.get(brand=cast.acme, user=cast.grace)
    marketplace.expert_skill_set(
        expert=grace_expert, product=boot, level=5, verified=True, actor=cast.sam
    )
    hedy = user_create(email="hedy@example.com", password=None, name="Hedy Lamarr")
    marketplace.expert_profile_upsert(user=hedy, display_name="Hedy Lamarr", languages=["en"])
    hedy_expert = marketplace.expert_enrol(
        brand=cast.acme, user=hedy, status="approved", actor=cast.sam
    )
    marketplace.expert_skill_set(expert=hedy_expert, product=boot, level=1, actor=cast.sam)
    marketplace.expert_skill_set(
        expert=hedy_expert, product=cast.trail_shoe, level=2, actor=cast.sam
    )
    online(cast.grace, hedy)
    question = ask()
    settings.GIGCX_ROUTING_CANDIDATES = 1
    # when / then: step 1 walks the shoe only; step 2 the category, where grace is strongest
    assert candidate_names(question, step=1) == {"Hedy Lamarr"}
    assert candidate_names(question, step=2) == {"Grace Hopper"}
    settings.GIGCX_ROUTING_CANDIDATES = 50
    assert candidate_names(question, step=2) == {"Grace Hopper", "Hedy Lamarr"}


def test_the_category_step_costs_the_same_queries_for_1_or_6_products(
    cast: Any, ask: Any, online: Any
) -> None:
    online(cast.ada)
    question = ask()
    settings = routing_settings_for(question.brand_id)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            found = expert_candidates_for_question(question=question, step=2, settings=settings)
        assert [c.expert.user for c in found] == [cast.ada]
        return len(captured.captured_queries)

    before = queries()
    footwear = cast.trail_shoe.category
    for i in range(5):
        marketplace.product_create(
            brand=cast.acme, name=f"Sandal {i}", category_id=footwear.pk, actor=cast.sam
        )
    assert queries() == before
