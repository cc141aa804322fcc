"""The expert's history and standing: she reopens every conversation she handled
(read-only, redacted), sees them with their ratings, and sees her score, parts and tier."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_the_expert_reopens_a_resolved_conversation_read_only_and_redacted(
    cast: Any, resolved: Any, rate: Any, client: Any
) -> None:
    # given: the customer left her email in the question
    question = resolved(
        cast.ada, body="Do the Trailblazer 2 run narrow? Mail me at carol@home.example"
    )
    rate(question, 4, comment="Thanks! Reach me on carol@home.example")
    client.force_login(cast.ada)
    # when
    page = client.get(f"/questions/{question.pk}/")
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert "carol@home.example" not in html  # question and rating comment redacted
    assert "Thanks! Reach me on" in html
    assert 'id="composer"' not in html
    assert 'data-action="resolve"' not in html
    assert 'id="rating-form"' not in html


def test_she_cannot_write_in_it_any_more(cast: Any, resolved: Any, api_as: Any) -> None:
    question = resolved(cast.ada)
    client = api_as(cast.ada)
    response = client.post(
        f"/api/v1/questions/{question.pk}/messages", {"body": "PS"}, format="json"
    )
    assert response.status_code == 403
    assert client.post(f"/api/v1/questions/{question.pk}/resolve").status_code == 403
    assert question.messages.filter(body="PS").count() == 0


def test_other_experts_still_get_404(cast: Any, resolved: Any, client: Any, api_as: Any) -> None:
    question = resolved(cast.ada)
    client.force_login(cast.grace)
    assert client.get(f"/questions/{question.pk}/").status_code == 404
    assert api_as(cast.grace).get(f"/api/v1/questions/{question.pk}").status_code == 404


def test_the_history_lists_her_conversations_with_their_ratings(
    cast: Any, resolved: Any, rate: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    # given: two rated, one not; one of grace's
    first = resolved(cast.ada)
    rate(first, 5, comment="Call me on +49 30 1234567 if needed")
    second = resolved(cast.ada)
    rate(second, 2, solved=False)
    resolved(cast.ada)
    resolved(cast.grace, product=None)
    client = api_as(cast.ada)
    # when
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/expert/history")
    # then
    rows = response.json()["results"]
    assert len(rows) == 3
    by_id = {row["question_id"]: row for row in rows}
    assert by_id[first.pk]["rating"] == 5
    assert "1234567" not in by_id[first.pk]["comment"]
    assert (by_id[second.pk]["rating"], by_id[second.pk]["solved"]) == (2, False)
    assert api_as(cast.grace).get("/api/v1/expert/history").json()["count"] == 1


def test_the_standing_shows_score_parts_tier_and_what_the_next_tier_needs(
    cast: Any, resolved: Any, rate: Any, api_as: Any, client: Any
) -> None:
    for score in (5, 4):
        rate(resolved(cast.ada), score)
    body = api_as(cast.ada).get("/api/v1/expert/standing").json()
    assert [row["brand"] for row in body] == ["acme"]
    acme = body[0]
    assert acme["tier"] == "bronze"
    assert acme["latest"]["ratings_count"] == 2
    assert acme["next_tier"].startswith("Silver needs 3 more ratings")
    assert len(acme["trend"]) == 2

    client.force_login(cast.ada)
    html = client.get("/expert/standing/").content.decode()
    assert "Bronze tier" in html
    assert "Silver needs 3 more ratings" in html
    assert "Customer ratings (Bayesian average)" in html
    console = client.get("/expert/console/").content.decode()
    assert "Conversations you handled" in console
    assert "/expert/standing/" in console


def test_a_person_without_a_pool_is_refused_by_the_api_and_told_on_the_page(
    cast: Any, api_as: Any, client: Any
) -> None:
    # not an expert at all: the API says so (403); the page explains
    refused = api_as(cast.carol).get("/api/v1/expert/standing")
    assert refused.status_code == 403
    assert "for experts" in refused.json()["error"]["message"]
    client.force_login(cast.carol)
    assert "not in an advocate pool" in client.get("/expert/standing/").content.decode()
