"""Pinned query counts on the hot path: asking, triage with its first routing decision, one
routing decision, accepting and resolving (booking the earning: tests/payments). A change
that adds a query per expert fails here."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gigcx.accounts import user_create
from marketplace import services as marketplace
from routing import services
from routing.models import Assignment, Question

pytestmark = pytest.mark.django_db


def more_experts(cast: Any, count: int) -> None:
    """``count`` more approved, online experts who know the trail shoe."""
    for i in range(count):
        person = user_create(email=f"extra{i}@example.com", password=None, name=f"Extra {i}")
        marketplace.expert_profile_upsert(user=person, display_name=f"Extra {i}", languages=["en"])
        expert = marketplace.expert_enrol(
            brand=cast.acme, user=person, status="approved", actor=cast.sam
        )
        marketplace.expert_skill_set(
            expert=expert, product=cast.trail_shoe, level=1 + i % 5, actor=cast.sam
        )
        services.presence_set(user=person, status="online")


def queries_of_a_decision(question: Question) -> int:
    with CaptureQueriesContext(connection) as captured:
        offers = services.routing_offer_question(question_id=question.pk)
    assert len(offers) == 1
    return len(captured.captured_queries)


def test_asking_a_question_takes_pinned_queries(
    cast: Any, api_as: Any, ask: Any, held_tasks: list[Any], django_assert_num_queries: Any
) -> None:
    client = api_as(cast.carol)
    ask(asked_by=cast.carol)  # her second question: the chain to her first is written too
    # 11, exactly: her user row (the session itself comes from the cache), the brand, the
    # product, then in one transaction (2) the brand's question number, its quota count, the
    # question with the link to her last one, the link back from that one, her message and
    # the outbox row of question.asked (brands' webhooks). Nobody has the question yet, so
    # nothing is read to show an expert.
    with django_assert_num_queries(11):
        response = client.post(
            "/api/v1/brands/acme/questions",
            {"body": "Do the Trailblazer 2 fit wide feet?", "product_id": cast.trail_shoe.pk},
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["expert"] is None
    assert Question.objects.filter(pk=response.json()["id"], asked_by=cast.carol).exists()


def test_asking_anonymously_takes_pinned_queries(
    cast: Any, api: Any, held_tasks: list[Any], django_assert_num_queries: Any
) -> None:
    # 9, exactly: as a signed-in customer less her user row and the chain between her
    # questions (no session, no user: the request carries no cookie)
    with django_assert_num_queries(9):
        response = api.post(
            "/api/v1/brands/acme/questions",
            {
                "body": "Do the Trailblazer 2 fit wide feet?",
                "product_id": cast.trail_shoe.pk,
                "contact_email": "walk-in@example.com",
            },
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["access_token"]
    assert Question.objects.filter(pk=response.json()["id"], asked_by=None).exists()


def test_one_routing_decision_costs_the_same_queries_for_2_or_14_experts(
    cast: Any, ask: Any, online: Any, grace_knows_the_shoe: None, settings: Any
) -> None:
    # given: a pool larger than the candidate limit on the second question
    settings.GIGCX_ROUTING_CANDIDATES = 5
    online(cast.ada, cast.grace)
    small = queries_of_a_decision(ask())
    more_experts(cast, 12)
    # when
    large = queries_of_a_decision(ask("Do the Trailblazer 2 run wide?"))
    # then
    assert small == large
    # the outbox row of question.offered included; the question's new step is written with
    # its new status, in one UPDATE
    assert large <= 14


def test_accept_and_resolve_take_pinned_queries(
    cast: Any,
    ask: Any,
    online: Any,
    api_as: Any,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    online(cast.ada)
    question = ask()
    [offer] = services.routing_offer_question(question_id=question.pk)
    client = api_as(cast.ada)
    with django_assert_max_num_queries(22):  # the outbox row of question.accepted included
        assert client.post(f"/api/v1/offers/{offer.pk}/accept").status_code == 200
    assert Assignment.objects.get(pk=offer.pk).status == Assignment.Status.ACCEPTED
    with django_assert_max_num_queries(20):
        assert client.post(f"/api/v1/questions/{question.pk}/resolve").status_code == 200
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED


def test_triage_and_the_first_routing_decision_take_pinned_queries(
    cast: Any, online: Any, held_tasks: list[Any], settings: Any
) -> None:
    from routing.selectors import routing_settings_for
    from routing.triage import question_triage

    # given: a question no knowledge entry answers, and one expert online who knows the shoe
    online(cast.ada)
    routing_settings_for(cast.acme.pk)  # a brand's routing settings exist once it routed
    question, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="My Trailblazer 2 squeaks on wet rock, is that a defect?",
        product_id=cast.trail_shoe.pk,
        preference=Question.Preference.EXPERT,
    )

    # when: the worker triages it (the same task makes the first routing decision)
    with CaptureQueriesContext(connection) as captured:
        question_triage(question_id=question.pk)

    # then: it was offered, in 21 queries (SQLite and PostgreSQL alike; 31 before triage
    # and routing shared a transaction): the question read and its triage run counted (its
    # own commit), the brand's answer threshold, then in one transaction the row lock, the
    # message's redacted copy, the routing settings, one UPDATE with the analysis and the
    # move to the queue, and the routing decision under a savepoint (2 of the 21) with its
    # offer, the question's new status and its question.offered outbox row
    assert Assignment.objects.filter(question=question, expert__user=cast.ada).exists()
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) <= 21, len(sql)
    # one UPDATE of the question for the whole analysis and the move to the queue, one for
    # the offer; no second read of the routing settings
    updates = [q for q in sql if q.startswith('UPDATE "routing_question"')]
    assert len(updates) == 3, updates  # the triage run counted, the analysis, the offer
    assert sum('FROM "routing_routingsettings"' in q for q in sql) == 1


def test_a_first_routing_decision_that_fails_rolls_back_alone(
    cast: Any, online: Any, held_tasks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from routing.triage import question_triage

    # given: routing hits a database error inside triage's transaction
    online(cast.ada)
    question, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="My Trailblazer 2 squeaks on wet rock, is that a defect?",
        product_id=cast.trail_shoe.pk,
        preference=Question.Preference.EXPERT,
    )

    def fail(*args: Any, **kwargs: Any) -> None:
        Assignment.objects.create(
            question=question,
            expert=cast.ada_expert,
            step=1,
            score=0.0,
            expires_at=question.created_at,
        )  # written, then undone with the decision
        raise OperationalError("connection lost mid-decision")

    monkeypatch.setattr("routing.services.offers.expert_candidates_for_question", fail)

    # when
    returned = question_triage(question_id=question.pk)

    # then: the triage committed and the question waits for the sweeper; nothing of the
    # failed decision is left
    question.refresh_from_db()
    assert question.status == Question.Status.WAITING
    assert returned is not None
    assert returned.status == Question.Status.WAITING
    assert question.triage["path"] == "human"
    assert not Assignment.objects.filter(question=question).exists()
