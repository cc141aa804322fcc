"""Calls under the same real concurrency as chat offers (PostgreSQL, threads with their own
connections released together): one winner per call, and a call counts against the load."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from gigcx.accounts import user_create
from routing import services as routing
from routing.models import Assignment, Presence, RoutingSettings
from tests.races.test_accept_races import experts, run_together
from voice import services
from voice.models import Call, CallOffer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("held_tasks"),
]


def test_40_experts_answering_the_same_call_give_it_exactly_one_expert(
    require_postgres: None, cast: Any, ask: Any
) -> None:
    # given: a waiting question; the customer asks to talk; forty experts ring at once
    RoutingSettings.objects.update_or_create(
        brand=cast.acme,
        defaults={"mode": "broadcast", "broadcast_size": 40, "fairness_cap_per_hour": 100},
    )
    racers = experts(cast, 40)
    question = ask()
    call = services.call_request(question_id=question.pk, user=cast.carol)
    assert CallOffer.objects.filter(call=call, status="offered").count() == 40

    def answer(user: Any) -> Callable[[], int]:
        def attempt() -> int:
            client = APIClient()
            client.force_authenticate(user)
            return client.post(f"/api/v1/calls/{call.pk}/accept").status_code

        return attempt

    # when: 3 answers per expert, 120 in all, over the real URL
    statuses = run_together([answer(user) for user in racers for _ in range(3)])

    # then
    assert Counter(statuses) == {200: 1, 409: 119}
    call.refresh_from_db()
    assert call.status == Call.Status.RINGING
    assert CallOffer.objects.filter(call=call, status="accepted").count() == 1
    winner = call.expert.user_id
    assert Assignment.objects.get(question=question, status="accepted").expert.user_id == winner
    loads = dict(Presence.objects.filter(user__in=racers).values_list("user_id", "active"))
    assert loads[winner] == 2  # the conversation and the call
    assert sum(loads.values()) == 2  # no loser kept a slot


def test_an_expert_one_slot_from_capacity_answering_many_calls_at_once_takes_one(
    require_postgres: None, cast: Any, ask: Any, online: Any
) -> None:
    # given: ada (capacity 3) has two customers' conversations; both customers ask to talk
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"fairness_cap_per_hour": 100}
    )
    online(cast.ada)
    Presence.objects.filter(user=cast.ada).update(capacity=3)
    calls = []
    for n in range(2):
        customer = user_create(email=f"caller{n}@example.com", password="race-pass-123")
        question = ask(f"Question {n} about the trail shoe?", asked_by=customer)
        offer = routing.routing_offer_question(question_id=question.pk)[0]
        routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
        calls.append(services.call_request(question_id=question.pk, user=customer))
    assert Presence.objects.get(user=cast.ada).active == 2

    def answer(call_id: int) -> Callable[[], str]:
        def attempt() -> str:
            try:
                services.call_accept(call_id=call_id, user=cast.ada)
                return "won"
            except Exception as exc:  # the losers' ConflictError
                return type(exc).__name__

        return attempt

    # when: ten answers for each call at the same instant
    results = run_together([answer(c.pk) for c in calls for _ in range(10)])

    # then: one call taken, the last slot used once, the other call still ringing
    assert Counter(results) == {"won": 1, "ConflictError": 19}
    assert Presence.objects.get(user=cast.ada).active == 3
    statuses = sorted(
        Call.objects.filter(pk__in=[c.pk for c in calls]).values_list("status", flat=True)
    )
    assert statuses == ["offered", "ringing"]


def test_a_call_and_a_chat_offer_racing_for_the_last_slot_never_both_win(
    require_postgres: None, cast: Any, ask: Any, online: Any
) -> None:
    # given: ada (capacity 2) has carol's conversation; carol asks to talk while a new
    # question is offered to ada: one slot left, two ways to take it
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"fairness_cap_per_hour": 100}
    )
    online(cast.ada)
    results: Counter[str] = Counter()
    for round_ in range(5):
        Presence.objects.filter(user=cast.ada).update(active=0, capacity=2)
        Assignment.objects.filter(expert__user=cast.ada, status="accepted").update(
            status="resolved"
        )
        mine = ask(f"Round {round_}: do they run narrow?")
        offer = routing.routing_offer_question(question_id=mine.pk)[0]
        routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
        call = services.call_request(question_id=mine.pk, user=cast.carol)
        other = ask(f"Round {round_}: another question?", asked_by=cast.grace)
        chat_offer = routing.routing_offer_question(question_id=other.pk)[0]

        def take_call(call_id: int = call.pk) -> str:
            try:
                services.call_accept(call_id=call_id, user=cast.ada)
                return "call"
            except Exception as exc:
                return type(exc).__name__

        def take_chat(offer_id: int = chat_offer.pk) -> str:
            try:
                routing.assignment_accept(assignment_id=offer_id, user=cast.ada)
                return "chat"
            except Exception as exc:
                return type(exc).__name__

        outcome = run_together([take_call, take_chat])
        results.update(outcome)
        # then: exactly one of them took the last slot
        assert sorted(outcome) in (["ConflictError", "call"], ["ConflictError", "chat"])
        assert Presence.objects.get(user=cast.ada).active == 2
        services.call_hang_up(call_id=call.pk, user=cast.carol)
    assert results["ConflictError"] == 5
