"""Ratings (CSAT): only the asker, only once resolved, once, 1 to 5; the event reaches
payments; "not solved" reopens the question."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from gigcx.models import AuditEvent, DomainEvent
from marketplace import services as marketplace
from payments import services as payments
from payments.models import Earning, Transaction
from quality.models import Rating
from routing import services as routing
from routing.models import Assignment, Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate_card(cast: Any) -> Any:
    return payments.rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=400,
        platform_fee_bps=1500,
        clearance_days=3,
        bonus_amount=100,
        bonus_min_rating=5,
        hold_below_rating=3,
    )


def test_the_asker_rates_a_resolved_question_and_the_event_is_recorded(
    cast: Any, resolved: Any, rate: Any
) -> None:
    # given
    question = resolved(cast.ada)
    # when
    response = rate(question, 4, comment="Quick and kind.")
    # then
    assert response.status_code == 201, response.content
    assert response.json()["score"] == 4
    rating = Rating.objects.get(question=question)
    assert (rating.score, rating.solved, rating.comment) == (4, True, "Quick and kind.")
    assert rating.expert == cast.ada_expert
    assert rating.brand == cast.acme
    assert rating.automated is False
    event = DomainEvent.objects.get(name="question.rated")
    assert event.payload == {
        "question_id": question.pk,
        "rating": 4,
        "solved": True,
        "expert_id": cast.ada_expert.pk,
        "rating_id": rating.pk,
    }
    assert event.delivered_at is not None


def test_a_five_star_rating_books_the_bonus_through_the_outbox(
    cast: Any, rate_card: Any, resolved: Any, rate: Any
) -> None:
    # given: resolving booked the earning
    question = resolved(cast.ada)
    earning = Earning.objects.get(question=question)
    assert earning.bonus == 0
    # when
    assert rate(question, 5).status_code == 201
    # then
    earning.refresh_from_db()
    assert earning.bonus == 100
    assert earning.status == "pending"
    assert Transaction.objects.filter(idempotency_key=f"bonus:{question.pk}").count() == 1


def test_a_low_rating_holds_the_earning_through_the_outbox(
    cast: Any, rate_card: Any, resolved: Any, rate: Any
) -> None:
    question = resolved(cast.ada)
    assert rate(question, 2, solved=False).status_code == 201
    earning = Earning.objects.get(question=question)
    assert (earning.status, earning.hold, earning.hold_reason) == ("held", "rating", "Rated 2")
    assert earning.bonus == 0
    assert not Transaction.objects.filter(idempotency_key=f"bonus:{question.pk}").exists()


def test_the_anonymous_asker_rates_with_the_private_link_token(
    cast: Any, api: Any, ask: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an anonymous question, answered by staff and resolved
    question, token = routing.question_create(
        brand=cast.acme, body="Do the Trailblazer 2 run narrow?", contact_email="v@example.com"
    )
    routing.question_resolve(question_id=question.pk, actor=cast.sam)
    url = f"/api/v1/questions/{question.pk}/rating"
    # when: without the token, then with a wrong one, then with it
    without = api.post(url, {"score": 5, "solved": True}, format="json")
    wrong = api.post(
        url, {"score": 5, "solved": True}, format="json", HTTP_X_QUESTION_TOKEN="nope" * 6
    )
    with django_capture_on_commit_callbacks(execute=True):
        right = api.post(
            url, {"score": 5, "solved": True}, format="json", HTTP_X_QUESTION_TOKEN=token
        )
    # then
    assert without.status_code in (401, 403)
    assert wrong.status_code == 404
    assert right.status_code == 201, right.content
    rating = Rating.objects.get(question=question)
    assert rating.automated is True  # nobody but the automated line wrote
    assert rating.expert is None
    got = api.get(url, HTTP_X_QUESTION_TOKEN=token)
    assert got.status_code == 200
    assert got.json()["score"] == 5


def test_rating_before_resolution_is_409_and_records_nothing(
    cast: Any, ask: Any, rate: Any
) -> None:
    question = ask()
    response = rate(question, 5)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_resolved"
    assert "once the question is resolved" in response.json()["error"]["message"]
    assert not Rating.objects.exists()
    assert not DomainEvent.objects.filter(name="question.rated").exists()


def test_a_second_rating_is_409_and_the_first_stands(cast: Any, resolved: Any, rate: Any) -> None:
    question = resolved(cast.ada)
    assert rate(question, 5).status_code == 201
    second = rate(question, 1, solved=False)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_rated"
    assert list(Rating.objects.values_list("score", flat=True)) == [5]
    assert DomainEvent.objects.filter(name="question.rated").count() == 1


def test_the_database_refuses_a_second_rating_row(cast: Any, resolved: Any, rate: Any) -> None:
    question = resolved(cast.ada)
    rate(question, 5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(question=question, brand=cast.acme, score=3, solved=True)


@pytest.mark.parametrize("score", [0, 6, -1, "five", None, 4.5, True])
def test_a_score_outside_1_to_5_is_400_with_a_field_message(
    cast: Any, resolved: Any, rate: Any, score: Any
) -> None:
    question = resolved(cast.ada)
    response = rate(question, score)
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert "score" in body["fields"]
    assert not Rating.objects.exists()


def test_missing_and_unknown_fields_are_400(cast: Any, resolved: Any, api_as: Any) -> None:
    question = resolved(cast.ada)
    client = api_as(cast.carol)
    url = f"/api/v1/questions/{question.pk}/rating"
    missing = client.post(url, {"score": 4}, format="json")
    unknown = client.post(url, {"score": 4, "solved": True, "expert_id": 1}, format="json")
    long = client.post(url, {"score": 4, "solved": True, "comment": "x" * 2001}, format="json")
    assert missing.status_code == 400
    assert "solved" in missing.json()["error"]["fields"]
    assert unknown.status_code == 400
    assert "expert_id" in unknown.json()["error"]["fields"]
    assert long.status_code == 400
    assert "comment" in long.json()["error"]["fields"]
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("ada", 403), ("sam", 403), ("grace", 404), ("nora", 404)]
)
def test_only_the_asker_may_rate(
    cast: Any, resolved: Any, rate: Any, who: str, status: int
) -> None:
    # given: ada resolved carol's question (her expert and Acme's owner can see it; grace and
    # Northwind's owner cannot)
    question = resolved(cast.ada)
    # when
    response = rate(question, 5, user=getattr(cast, who))
    # then
    assert response.status_code == status, response.content
    assert not Rating.objects.exists()


def test_a_missing_question_is_404(cast: Any, rate: Any) -> None:
    response = rate(Question(pk=999999), 5)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_not_solved_reopens_to_the_expert_when_she_is_online(
    cast: Any, resolved: Any, rate: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: ada resolved it and is still online; the customer says it is not solved
    question = resolved(cast.ada)
    assert rate(question, 2, solved=False).status_code == 201
    # when
    client = api_as(cast.carol)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/questions/{question.pk}/reopen", {}, format="json")
    # then: an offer to ada alone
    assert response.status_code == 200, response.content
    question.refresh_from_db()
    assert question.status == "offered"
    assert question.resolved_at is None
    offer = Assignment.objects.get(question=question, status="offered")
    assert offer.expert == cast.ada_expert
    assert Rating.objects.get(question=question).reopened_at is not None
    assert AuditEvent.objects.filter(action="question.reopened", target_id=str(question.pk))
    # and she can take it again
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    question.refresh_from_db()
    assert question.status == "assigned"


def test_not_solved_is_routed_again_when_her_expert_is_offline(
    cast: Any,
    resolved: Any,
    rate: Any,
    api_as: Any,
    grace_knows_the_shoe: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    question = resolved(cast.ada)
    rate(question, 1, solved=False)
    routing.presence_set(user=cast.ada, status="offline")
    routing.presence_set(user=cast.grace, status="online")
    client = api_as(cast.carol)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/questions/{question.pk}/reopen", {}, format="json")
    assert response.status_code == 200
    offer = Assignment.objects.get(question=question, status="offered")
    assert offer.expert.user == cast.grace


def test_reopening_is_once_only_and_only_when_not_solved(
    cast: Any, resolved: Any, rate: Any, api_as: Any
) -> None:
    solved = resolved(cast.ada)
    rate(solved, 5)
    client = api_as(cast.carol)
    refused = client.post(f"/api/v1/questions/{solved.pk}/reopen", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_reopenable"
    solved.refresh_from_db()
    assert solved.status == "resolved"

    unrated = resolved(cast.ada)
    assert (
        client.post(f"/api/v1/questions/{unrated.pk}/reopen", {}, format="json").status_code == 409
    )

    not_solved = resolved(cast.ada)
    rate(not_solved, 2, solved=False)
    assert (
        client.post(f"/api/v1/questions/{not_solved.pk}/reopen", {}, format="json").status_code
        == 200
    )
    routing.question_resolve(question_id=not_solved.pk, actor=cast.ada)
    again = client.post(f"/api/v1/questions/{not_solved.pk}/reopen", {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "reopened"
    # the expert cannot reopen for the customer
    other = resolved(cast.ada)
    rate(other, 2, solved=False)
    assert (
        api_as(cast.ada).post(f"/api/v1/questions/{other.pk}/reopen", {}, format="json").status_code
        == 403
    )


def test_the_conversation_page_asks_for_a_rating_then_shows_it(
    cast: Any, resolved: Any, rate: Any, client: Any
) -> None:
    question = resolved(cast.ada)
    client.force_login(cast.carol)
    before = client.get(f"/questions/{question.pk}/").content.decode()
    assert 'id="rating-form"' in before
    rate(question, 2, solved=False, comment="Still pinches.")
    after = client.get(f"/questions/{question.pk}/").content.decode()
    assert 'id="rating-form"' not in after
    assert "Still pinches." in after
    assert 'data-action="reopen"' in after
    # the expert sees the rating but no form and no reopen button
    client.force_login(cast.sam)
    staff = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Still pinches." in staff
    assert 'data-action="reopen"' not in staff


def test_marketplace_suspension_does_not_block_rating(cast: Any, resolved: Any, rate: Any) -> None:
    # the verdict is the customer's: a suspended expert's conversations are still rated
    question = resolved(cast.ada)
    marketplace.expert_suspend(expert=cast.ada_expert, actor=cast.sam, reason="Holiday cover.")
    assert rate(question, 3).status_code == 201
