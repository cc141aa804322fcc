"""Real concurrency on PostgreSQL: threads with their own connections, released together.

RELIABILITY finding 0.1: naive check-then-act double-assigns in 20/20 trials on 2 cores;
these tests fail on such code and pass only with conditional updates and constraints.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from gigcx.accounts import user_create
from marketplace import services as marketplace
from routing import services
from routing.models import Assignment, Presence, Question, RoutingSettings

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("held_tasks"),
]

THREADS = 40  # PostgreSQL's default max_connections is 100


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs on THREADS threads; each thread starts its share at the same instant."""
    barrier = threading.Barrier(min(THREADS, len(jobs)))
    shares = [jobs[i::THREADS] for i in range(min(THREADS, len(jobs)))]

    def worker(share: list[Callable[[], Any]]) -> list[Any]:
        try:
            barrier.wait(timeout=30)
            return [job() for job in share]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        results = pool.map(worker, shares)
        return [result for share in results for result in share]


def experts(cast: Any, count: int) -> list[Any]:
    people = []
    for n in range(count):
        user = user_create(email=f"racer{n}@example.com", password="race-pass-123", verified=True)
        marketplace.expert_profile_upsert(
            user=user, display_name=f"Racer {n}", languages=["en"], capacity=2
        )
        expert = marketplace.expert_enrol(
            brand=cast.acme, user=user, status="approved", actor=cast.sam
        )
        marketplace.expert_skill_set(
            expert=expert, product=cast.trail_shoe, level=4, actor=cast.sam
        )
        services.presence_set(user=user, status="online")
        people.append(user)
    return people


def test_200_concurrent_accepts_from_50_experts_give_exactly_one_assignment(
    require_postgres: None, cast: Any, ask: Any
) -> None:
    # given: one question offered to 50 experts at once
    RoutingSettings.objects.update_or_create(
        brand=cast.acme,
        defaults={"mode": "broadcast", "broadcast_size": 50, "fairness_cap_per_hour": 100},
    )
    racers = experts(cast, 50)
    question = ask()
    offers = services.routing_offer_question(question_id=question.pk)
    assert len(offers) == 50
    offer_of = {o.expert.user_id: o.pk for o in offers}

    def accept(user: Any) -> Callable[[], int]:
        def call() -> int:
            client = APIClient()
            client.force_authenticate(user)
            return client.post(f"/api/v1/offers/{offer_of[user.pk]}/accept").status_code

        return call

    # when: 4 accepts per expert, 200 in all, over the real URL
    statuses = run_together([accept(user) for user in racers for _ in range(4)])

    # then
    assert Counter(statuses) == {200: 1, 409: 199}
    assert Assignment.objects.filter(question=question, status="accepted").count() == 1
    winner = Assignment.objects.get(question=question, status="accepted").expert.user_id
    loads = dict(Presence.objects.filter(user__in=racers).values_list("user_id", "active"))
    assert loads[winner] == 1
    assert sum(loads.values()) == 1  # no loser kept a slot
    assert Question.objects.get(pk=question.pk).status == "assigned"


def test_an_expert_with_capacity_2_racing_for_20_offers_holds_exactly_2(
    require_postgres: None, cast: Any, ask: Any, online: Any
) -> None:
    # given: twenty questions, each offered to ada
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"fairness_cap_per_hour": 100}
    )
    online(cast.ada)
    offers = []
    for n in range(20):
        question = ask(f"Question number {n} about the trail shoe?")
        offers.extend(services.routing_offer_question(question_id=question.pk))
    assert len(offers) == 20

    def accept(offer_id: int) -> Callable[[], str]:
        def call() -> str:
            try:
                services.assignment_accept(assignment_id=offer_id, user=cast.ada)
                return "won"
            except Exception as exc:  # the losers' ConflictError
                return type(exc).__name__

        return call

    # when
    results = run_together([accept(o.pk) for o in offers])

    # then
    assert Counter(results) == {"won": 2, "ConflictError": 18}
    assert Presence.objects.get(user=cast.ada).active == 2
    assert Assignment.objects.filter(expert__user=cast.ada, status="accepted").count() == 2


def test_accept_racing_the_sweeper_never_leaves_an_accepted_expired_offer(
    require_postgres: None, cast: Any, ask: Any, online: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    # the sweeper may win every round: don't let "missed offers" set ada away mid-test
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"missed_offers_before_away": 20, "fairness_cap_per_hour": 100}
    )
    online(cast.ada)
    for _ in range(10):
        question = ask()
        offer = services.routing_offer_question(question_id=question.pk)[0]
        # due right now: accept and the sweeper race for it
        Assignment.objects.filter(pk=offer.pk).update(
            expires_at=timezone.now() + timedelta(milliseconds=30)
        )

        def accept(offer_id: int = offer.pk) -> str:
            try:
                services.assignment_accept(assignment_id=offer_id, user=cast.ada)
                return "accepted"
            except Exception:
                return "refused"

        def sweep_it(question_id: int = question.pk) -> int:
            import time

            time.sleep(0.03)
            return services.offers_expire_for_question(question_id=question_id)

        run_together([accept, sweep_it])
        offer.refresh_from_db()
        assert offer.status in ("accepted", "expired")
        active = Presence.objects.get(user=cast.ada).active
        assert active == Assignment.objects.filter(expert__user=cast.ada, status="accepted").count()
        if offer.status == "accepted":
            services.question_resolve(question_id=question.pk, actor=cast.ada)
