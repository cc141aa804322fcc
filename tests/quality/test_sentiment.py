"""Sentiment lift in SQL (it agrees with the per-question reading), as a part of the score,
and empathy fit: how conversations that started upset ended, written down for routing."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import Expert
from quality import scoring
from quality.models import ExpertScore
from quality.sentiment import lift_steps
from quality.services import expert_score_recompute
from routing import services as routing
from routing.models import Question
from routing.selectors import question_sentiment_lift
from routing.triage import question_triage
from tests.quality.conftest import CALM, UPSET

pytestmark = pytest.mark.django_db


def sql_lift(question: Question) -> float | None:
    first, second = lift_steps("pk")
    return (
        Question.objects.filter(pk=question.pk)
        .annotate(**first)
        .annotate(**second)
        .values_list("lift", flat=True)
        .get()
    )


def test_the_sql_lift_agrees_with_the_per_question_reading(
    cast: Any, ask: Any, conversed: Any
) -> None:
    # given: no follow-up; upset then calm (no triage: the first scored message starts it);
    # and a triaged question (triage scored the first message) with one calm follow-up
    once = conversed(cast.ada, [])
    calmer = conversed(cast.ada, [UPSET, CALM])
    worse = conversed(cast.ada, [CALM, UPSET])
    triaged, _ = routing.question_create(brand=cast.acme, asked_by=cast.carol, body=UPSET)
    question_triage(question_id=triaged.pk)
    triaged.refresh_from_db()
    routing.message_post(question=triaged, author=cast.carol, role="customer", body=CALM)

    # then
    assert sql_lift(once) is None
    assert question_sentiment_lift(once) is None
    for question in (calmer, worse, triaged):
        assert sql_lift(question) == pytest.approx(question_sentiment_lift(question), abs=1e-3)
    assert sql_lift(calmer) > 0.5
    assert sql_lift(worse) < -0.5
    assert sql_lift(triaged) == pytest.approx(triaged.triage["frustration"] - 0.04, abs=0.02)


def test_sentiment_lift_is_a_part_of_the_score_and_empathy_fit_is_kept_and_written_down(
    cast: Any, conversed: Any, rate: Any
) -> None:
    # given: two conversations that started upset and ended calm; one calm throughout
    for _ in range(2):
        rate(conversed(cast.ada, [UPSET, CALM]), 5)
    rate(conversed(cast.ada, [CALM, CALM]), 4)

    # when
    snapshot = expert_score_recompute(expert_id=cast.ada_expert.pk)

    # then: the lift over three conversations, shrunk, is a weighted part of the score
    assert snapshot.lift_count == 3
    assert snapshot.sentiment_lift > 0.4
    expected = scoring.lift_value(snapshot.sentiment_lift, 3)
    assert snapshot.parts["lift"]["value"] == pytest.approx(expected, abs=1e-4)
    assert snapshot.parts["lift"]["weight"] > 0
    # empathy fit covers only the two that started upset, and weighs nothing in the score
    assert snapshot.upset_count == 2
    assert snapshot.empathy_fit > 0.5
    assert snapshot.parts["empathy"]["weight"] == 0.0
    expert = Expert.objects.get(pk=cast.ada_expert.pk)
    assert float(expert.empathy_fit) == pytest.approx(snapshot.empathy_fit, abs=1e-3)


def test_an_expert_whose_upset_customers_leave_angrier_has_a_low_empathy_fit(
    cast: Any, conversed: Any
) -> None:
    conversed(cast.grace, [UPSET, UPSET + " Still broken!"], product=None)
    worse = conversed(cast.grace, [UPSET, UPSET], product=None)
    assert sql_lift(worse) == pytest.approx(0.0, abs=0.05)
    grace = Expert.objects.get(brand=cast.acme, user=cast.grace)
    snapshot = expert_score_recompute(expert_id=grace.pk)
    assert snapshot.upset_count == 2
    assert snapshot.empathy_fit <= 0.5


def test_the_standing_page_shows_the_lift_and_empathy_rows(
    cast: Any, conversed: Any, rate: Any, client: Any
) -> None:
    rate(conversed(cast.ada, [UPSET, CALM]), 5)
    client.force_login(cast.ada)
    html = client.get("/expert/standing/").content.decode()
    assert "Sentiment lift (customers end calmer)" in html
    assert "on average over 1 conversation" in html
    assert "Empathy fit" in html
    assert "over 1 that started upset" in html
    assert ExpertScore.objects.filter(expert=cast.ada_expert).exists()


def test_a_triaged_upset_start_counts_for_the_expert_who_handled_it(
    cast: Any, online: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: triage read carol's first message as upset; ada took it and carol ended calm
    online(cast.ada)
    question, _ = routing.question_create(
        brand=cast.acme, asked_by=cast.carol, body=UPSET, product_id=cast.trail_shoe.pk
    )
    question = question_triage(question_id=question.pk)
    routing.routing_offer_question(question_id=question.pk)
    offer = question.assignments.get(status="offered")
    assert offer.expert == cast.ada_expert
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    question.refresh_from_db()
    routing.message_post(question=question, author=cast.carol, role="customer", body=CALM)
    with django_capture_on_commit_callbacks(execute=True):
        routing.question_resolve(question_id=question.pk, actor=cast.ada)

    # when
    snapshot = expert_score_recompute(expert_id=cast.ada_expert.pk)

    # then: the start is triage's reading of the first message
    assert (snapshot.lift_count, snapshot.upset_count) == (1, 1)
    start = question.triage["frustration"]
    assert snapshot.sentiment_lift == pytest.approx(start - 0.04, abs=0.02)
