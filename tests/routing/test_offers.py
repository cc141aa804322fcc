"""Routing a waiting question to experts: who is offered it, and what happens next."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.exceptions import ConflictError
from routing import services
from routing.models import Assignment, Presence, Question, RoutingSettings
from routing.tasks import sweep

pytestmark = pytest.mark.django_db


def offer_of(question: Question) -> Assignment:
    return Assignment.objects.get(question=question, status=Assignment.Status.OFFERED)


def test_the_verified_product_expert_gets_the_offer_with_a_score_breakdown(
    cast: Any, ask: Any, online: Any
) -> None:
    # given
    online(cast.ada, cast.grace)
    question = ask()
    # when
    offers = services.routing_offer_question(question_id=question.pk)
    # then
    assert [o.expert.user for o in offers] == [cast.ada]
    offer = offers[0]
    assert offer.step == 1
    assert offer.breakdown["skill"]["value"] == 1.0  # verified level 5 of 5
    assert "verified level 5 on this product" in offer.breakdown["skill"]["note"]
    assert set(offer.breakdown) >= {"skill", "activity", "quality", "load", "fairness", "text_fit"}
    question.refresh_from_db()
    assert question.status == Question.Status.OFFERED
    assert question.attempts == 1
    assert (offer.expires_at - offer.offered_at) == timedelta(seconds=60)


def test_nobody_online_means_the_question_waits(cast: Any, ask: Any) -> None:
    question = ask()
    assert services.routing_offer_question(question_id=question.pk) == []
    question.refresh_from_db()
    assert question.status == Question.Status.WAITING


def test_routing_twice_makes_one_offer(cast: Any, ask: Any, online: Any) -> None:
    online(cast.ada)
    question = ask()
    services.routing_offer_question(question_id=question.pk)
    assert services.routing_offer_question(question_id=question.pk) == []
    assert Assignment.objects.filter(question=question).count() == 1


def test_decline_goes_to_the_next_expert_and_never_back(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    online(cast.ada, cast.grace)
    question = ask()
    first = services.routing_offer_question(question_id=question.pk)[0]
    assert first.expert.user == cast.ada

    services.assignment_decline(assignment_id=first.pk, user=cast.ada)
    second = services.routing_offer_question(question_id=question.pk)

    assert [o.expert.user for o in second] == [cast.grace]
    services.assignment_decline(assignment_id=second[0].pk, user=cast.grace)
    assert services.routing_offer_question(question_id=question.pk) == []  # nobody left at step 1
    with pytest.raises(ConflictError):
        services.assignment_decline(assignment_id=first.pk, user=cast.ada)


def test_expired_offers_are_swept_and_rerouted_excluding_who_let_it_expire(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    online(cast.ada, cast.grace)
    question = ask()
    first = services.routing_offer_question(question_id=question.pk)[0]
    Assignment.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    result = sweep.apply().get()

    first.refresh_from_db()
    assert first.status == Assignment.Status.EXPIRED
    assert result["expired"] == 1
    assert offer_of(question).expert.user == cast.grace


def test_an_expert_who_lets_offers_expire_in_a_row_is_set_away_and_told_why(
    cast: Any, ask: Any, online: Any
) -> None:
    online(cast.ada)
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"missed_offers_before_away": 2}
    )
    for body in ("First question about fit?", "Second question about soles?"):
        question = ask(body)
        offer = services.routing_offer_question(question_id=question.pk)[0]
        Assignment.objects.filter(pk=offer.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        services.offers_expire_for_question(question_id=question.pk)
    presence = Presence.objects.get(user=cast.ada)
    assert presence.status == Presence.Status.AWAY
    assert "2 offers in a row expired" in presence.status_reason


def test_accept_assigns_and_a_second_accept_is_a_conflict(cast: Any, ask: Any, online: Any) -> None:
    online(cast.ada)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]

    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)

    question.refresh_from_db()
    assert question.status == Question.Status.ASSIGNED
    assert Presence.objects.get(user=cast.ada).active == 1
    with pytest.raises(ConflictError):
        services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    assert Presence.objects.get(user=cast.ada).active == 1  # the failed accept took no slot


def test_accepting_an_expired_offer_is_a_conflict(cast: Any, ask: Any, online: Any) -> None:
    online(cast.ada)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]
    Assignment.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ConflictError, match="expired"):
        services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    assert Presence.objects.get(user=cast.ada).active == 0


def test_an_expert_at_capacity_is_not_offered_more(cast: Any, ask: Any, online: Any) -> None:
    online(cast.ada)
    Presence.objects.filter(user=cast.ada).update(capacity=1)
    first = ask("Are they good on wet rock?")
    offer = services.routing_offer_question(question_id=first.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)

    second = ask("How do they size?")
    assert services.routing_offer_question(question_id=second.pk) == []

    # when the first is resolved, the waiting one is routed (capacity freed)
    services.question_resolve(question_id=first.pk, actor=cast.ada)
    assert Presence.objects.get(user=cast.ada).active == 0
    assert services.routing_offer_question(question_id=second.pk)[0].expert.user == cast.ada


def test_widening_reaches_the_category_then_anyone_then_staff(
    cast: Any, ask: Any, online: Any
) -> None:
    # given: only grace is online, and she knows tents, not shoes
    online(cast.grace)
    question = ask()
    assert services.routing_offer_question(question_id=question.pk) == []  # step 1

    # after the first two waits (30 s + 60 s) any approved expert of the brand may take it
    Question.objects.filter(pk=question.pk).update(
        waiting_since=timezone.now() - timedelta(seconds=95)
    )
    offers = services.routing_offer_question(question_id=question.pk)
    assert [o.expert.user for o in offers] == [cast.grace]
    assert offers[0].step == 3

    # and after the last wait it goes to the brand's staff
    services.assignment_decline(assignment_id=offers[0].pk, user=cast.grace)
    Question.objects.filter(pk=question.pk).update(
        waiting_since=timezone.now() - timedelta(seconds=300)
    )
    services.routing_offer_question(question_id=question.pk)
    question.refresh_from_db()
    assert question.status == Question.Status.ESCALATED
    assert question.escalation_reason == "No available expert after widening."


def test_sla_breach_escalates(cast: Any, ask: Any) -> None:
    question = ask()
    Question.objects.filter(pk=question.pk).update(sla_due_at=timezone.now() - timedelta(seconds=1))
    sweep.apply()
    question.refresh_from_db()
    assert question.status == Question.Status.ESCALATED
    assert "SLA" in question.escalation_reason


def test_broadcast_offers_the_top_k_and_the_first_accept_wins(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"mode": "broadcast", "broadcast_size": 3}
    )
    online(cast.ada, cast.grace)
    question = ask()
    offers = services.routing_offer_question(question_id=question.pk)
    assert {o.expert.user for o in offers} == {cast.ada, cast.grace}

    grace_offer = next(o for o in offers if o.expert.user == cast.grace)
    ada_offer = next(o for o in offers if o.expert.user == cast.ada)
    services.assignment_accept(assignment_id=grace_offer.pk, user=cast.grace)

    ada_offer.refresh_from_db()
    assert ada_offer.status == Assignment.Status.WITHDRAWN
    with pytest.raises(ConflictError):
        services.assignment_accept(assignment_id=ada_offer.pk, user=cast.ada)


def test_a_customers_preferred_expert_outranks_a_stronger_skill(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    online(cast.ada, cast.grace)
    grace_expert = cast.acme.experts.get(user=cast.grace)
    question = ask(preferred_expert_id=grace_expert.pk)
    offers = services.routing_offer_question(question_id=question.pk)
    assert offers[0].expert == grace_expert
    assert offers[0].breakdown["preferred"]["points"] > 0


def test_the_fairness_cap_skips_experts_offered_too_often_this_hour(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    RoutingSettings.objects.update_or_create(brand=cast.acme, defaults={"fairness_cap_per_hour": 1})
    online(cast.ada, cast.grace)
    first = ask("First one, about laces?")
    assert services.routing_offer_question(question_id=first.pk)[0].expert.user == cast.ada
    second = ask("Second one, about soles?")
    assert services.routing_offer_question(question_id=second.pk)[0].expert.user == cast.grace


def test_experts_never_get_their_own_question(cast: Any, ask: Any, online: Any) -> None:
    online(cast.ada)
    question = ask(asked_by=cast.ada)
    assert services.routing_offer_question(question_id=question.pk) == []


def test_suspended_and_stale_experts_get_nothing(cast: Any, ask: Any, online: Any) -> None:
    from marketplace.services import expert_enrol

    online(cast.ada)
    expert_enrol(brand=cast.acme, user=cast.ada, status="suspended", actor=cast.sam, reason="QA")
    question = ask()
    assert services.routing_offer_question(question_id=question.pk) == []

    expert_enrol(brand=cast.acme, user=cast.ada, status="approved", actor=cast.sam)
    Presence.objects.filter(user=cast.ada).update(
        last_heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.routing_offer_question(question_id=question.pk) == []
    assert sweep.apply().get()["away"] == 1
    assert "stopped checking in" in Presence.objects.get(user=cast.ada).status_reason


def test_handing_back_sends_it_to_someone_else(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None
) -> None:
    online(cast.ada, cast.grace)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)

    services.assignment_release(question_id=question.pk, user=cast.ada)

    assert Presence.objects.get(user=cast.ada).active == 0
    assert services.routing_offer_question(question_id=question.pk)[0].expert.user == cast.grace
