"""Recent work, measured in the brand's own questions, and second turns after a missed offer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.accounts import user_create
from marketplace import services as marketplace
from marketplace.models import Brand, Expert
from routing import scoring, services
from routing.models import Assignment, Question
from routing.selectors import expert_candidates_for_question, recency_key, routing_settings_for
from routing.tasks import sweep

pytestmark = pytest.mark.django_db


def offered_to(question: Question) -> list[Any]:
    return [
        a.expert.user
        for a in Assignment.objects.filter(question=question, status="offered").select_related(
            "expert__user"
        )
    ]


def resolve_one(cast: Any, ask: Any, user: Any) -> None:
    """``user`` takes a question and resolves it."""
    question = ask("How do the Trailblazer 2 run?")
    offer = Assignment.objects.create(
        question=question,
        expert=Expert.objects.get(brand=cast.acme, user=user),
        step=1,
        score=0.0,
        offered_at=timezone.now(),
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    Question.objects.filter(pk=question.pk).update(status="offered")
    services.assignment_accept(assignment_id=offer.pk, user=user)
    services.question_resolve(question_id=question.pk, actor=cast.carol)


def test_recency_halves_with_every_half_life_of_the_brands_questions() -> None:
    half = scoring.RECENCY_HALF_LIFE_QUESTIONS
    assert scoring.recency_decayed(2.0, 10, 10) == 2.0
    assert scoring.recency_decayed(2.0, 10, 10 + half) == pytest.approx(1.0)
    assert scoring.recency_decayed(2.0, 10, 10 + 2 * half) == pytest.approx(0.5)
    values = [scoring.recency_value(d) for d in (0, 0.5, 1, 3, 10)]
    assert values == sorted(values)
    assert values[0] == 0.0
    assert values[-1] < 1.0


def test_a_resolution_adds_one_as_of_the_brands_question_count_and_then_decays(
    cast: Any, ask: Any, online: Any
) -> None:
    online(cast.grace)
    resolve_one(cast, ask, cast.grace)
    grace = Expert.objects.get(brand=cast.acme, user=cast.grace)
    brand = Brand.objects.get(pk=cast.acme.pk)
    assert grace.recency == pytest.approx(1.0)
    assert grace.recency_seq == brand.question_seq == 1

    # a second resolution 15 questions later: the first counts half, the new one in full
    for n in range(scoring.RECENCY_HALF_LIFE_QUESTIONS - 1):
        services.question_create(brand=cast.acme, asked_by=cast.carol, body=f"Question {n:02d} x")
    resolve_one(cast, ask, cast.grace)
    grace.refresh_from_db()
    assert grace.recency == pytest.approx(1.5)


def test_the_expert_who_resolved_recently_outranks_an_otherwise_equal_one(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    # given: ada and grace know the shoe equally; grace resolved a question just now
    ada = Expert.objects.get(brand=cast.acme, user=cast.ada)
    marketplace.expert_skill_set(
        expert=ada, product=cast.trail_shoe, level=3, verified=False, actor=cast.sam
    )
    online(cast.ada, cast.grace)
    resolve_one(cast, ask, cast.grace)

    # when a new question is routed
    question = ask()
    offers = services.routing_offer_question(question_id=question.pk)

    # then grace gets it, and the offer says why
    assert [o.expert.user for o in offers] == [cast.grace]
    activity = offers[0].breakdown["activity"]
    assert activity["value"] > 0
    assert "each halved every 15 questions" in activity["note"]


def test_an_expert_who_let_an_offer_run_out_is_asked_again_before_staff(
    cast: Any, ask: Any, online: Any
) -> None:
    # given: ada is the only expert online and lets the offer expire
    online(cast.ada)
    question = ask()
    first = services.routing_offer_question(question_id=question.pk)[0]
    Assignment.objects.filter(pk=first.pk).update(expires_at=timezone.now())

    # when the sweeper runs: the offer expires and, nobody new being free, ada is asked again
    sweep()

    question.refresh_from_db()
    assert question.status == "offered"
    assert offered_to(question) == [cast.ada]
    assert Assignment.objects.filter(question=question, status="expired").count() == 1


def test_an_expert_who_declined_is_never_asked_again(cast: Any, ask: Any, online: Any) -> None:
    online(cast.ada)
    question = ask()
    first = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_decline(assignment_id=first.pk, user=cast.ada)

    assert services.routing_offer_question(question_id=question.pk) == []
    sweep()
    question.refresh_from_db()
    assert question.status == "waiting"
    assert offered_to(question) == []


def test_a_new_expert_goes_before_a_second_turn(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    online(cast.ada)
    question = ask()
    first = services.routing_offer_question(question_id=question.pk)[0]
    Assignment.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    services.offers_expire_for_question(question_id=question.pk)

    online(cast.grace)
    services.routing_offer_question(question_id=question.pk)
    assert offered_to(question) == [cast.grace]


def test_recent_activity_counts_on_a_log_scale_so_busy_sites_rank_like_quiet_ones() -> None:
    # given two experts twice as active as two others, on a quiet and on a busy site
    quiet = scoring.recency_value(2.0) - scoring.recency_value(1.0)
    busy = scoring.recency_value(20.0) - scoring.recency_value(10.0)

    # then doubling is worth the same step at both paces, and the scale is bounded
    assert quiet == pytest.approx(busy, abs=0.02)
    assert busy > 0.09
    assert scoring.recency_value(scoring.RECENCY_CEILING * 3) == 1.0


def test_of_two_equally_busy_experts_the_one_who_resolved_lately_scores_higher() -> None:
    half = scoring.RECENCY_HALF_LIFE_QUESTIONS

    def score(decayed: float, since_last: int | None) -> float:
        return scoring.activity_score(decayed, since_last, last_share=0.03)

    lately, long_ago, never = score(1.0, 1), score(1.0, 4 * half), score(0.0, None)

    assert 0.0 == never < long_ago < lately <= 1.0
    # the count still leads: twice the recent resolutions beats a later last one
    assert score(2.0, 4 * half) > lately
    assert scoring.last_value(half) == pytest.approx(0.5)
    assert scoring.last_value(None) == 0.0


def expert_on_the_shoe(cast: Any, name: str, recency: float, recency_seq: int) -> Expert:
    """An approved expert, online, self-rated 2 on the trail shoe, with this stored recency."""
    person = user_create(email=f"{name.split()[0].lower()}@example.com", password=None, name=name)
    marketplace.expert_profile_upsert(user=person, display_name=name, languages=["en"])
    expert = marketplace.expert_enrol(
        brand=cast.acme, user=person, status="approved", actor=cast.sam
    )
    marketplace.expert_skill_set(expert=expert, product=cast.trail_shoe, level=2, actor=cast.sam)
    services.presence_set(user=person, status="online")
    Expert.objects.filter(pk=expert.pk).update(
        recency=recency, recency_seq=recency_seq, recency_key=recency_key(recency, recency_seq)
    )
    return expert


def test_the_offer_goes_to_the_expert_who_resolved_lately_and_says_so(cast: Any, ask: Any) -> None:
    # given: two experts alike in all but when they resolved: the same decayed recent count,
    # hedy's one resolution 2 questions ago, karen's two 17 questions ago (one half-life more)
    half = scoring.RECENCY_HALF_LIFE_QUESTIONS
    Brand.objects.filter(pk=cast.acme.pk).update(question_seq=100)
    karen = expert_on_the_shoe(cast, "Karen Jones", 2.0, 100 - (half + 2))
    hedy = expert_on_the_shoe(cast, "Hedy Lamarr", 1.0, 100 - 2)

    # when a new question is routed (it is the brand's question 101)
    question = ask()
    offers = services.routing_offer_question(question_id=question.pk)

    # then hedy gets it, and "why" says how long ago each last resolved
    assert [o.expert for o in offers] == [hedy]
    assert offers[0].breakdown["activity"]["note"].endswith("the latest 3 questions ago")
    found = expert_candidates_for_question(
        question=question, step=1, settings=routing_settings_for(cast.acme.pk)
    )
    karens = next(c.features for c in found if c.expert.pk == karen.pk)
    assert karens.notes["activity"].endswith(f"the latest {half + 3} questions ago")
    assert karens.activity < offers[0].breakdown["activity"]["value"]
