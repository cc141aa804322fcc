"""Triage: redaction, mood, product and the AI-or-human decision, on the real text layer."""

from __future__ import annotations

from typing import Any

import pytest

from routing import services
from routing.models import KnowledgeEntry, Message, Question
from routing.triage import question_triage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]


@pytest.fixture
def faq(cast: Any) -> KnowledgeEntry:
    return services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        product_id=cast.trail_shoe.pk,
        question="How do I clean the Trailblazer 2 trail shoes?",
        answer="Rinse with lukewarm water and a soft brush; dry away from radiators.",
    )


def asked(cast: Any, body: str, **kwargs: Any) -> Question:
    question, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body=body, **kwargs
    )
    return question


def test_a_calm_routine_question_gets_a_labelled_automated_answer(
    cast: Any, faq: KnowledgeEntry
) -> None:
    question = asked(
        cast, "How do I clean my Trailblazer 2 trail shoes?", product_id=cast.trail_shoe.pk
    )

    question = question_triage(question_id=question.pk)

    assert question.status == Question.Status.AI_ANSWERED
    assert question.triage["path"] == "ai"
    answer = question.messages.get(role=Message.Role.AI)
    assert "Rinse with lukewarm water" in answer.body
    assert "Automated answer" in answer.body  # labelled, with its source
    # and one click gets a person
    question = services.question_request_human(question=question)
    assert question.status == Question.Status.WAITING


def test_an_upset_customer_never_gets_the_bot(cast: Any, faq: KnowledgeEntry) -> None:
    question = asked(
        cast,
        "This is the THIRD time I ask!!! "
        "How do I clean the Trailblazer 2 trail shoes? Unacceptable.",
        product_id=cast.trail_shoe.pk,
    )
    question = question_triage(question_id=question.pk)
    assert question.status == Question.Status.WAITING
    assert question.priority == 2
    assert question.triage["path"] == "human"
    assert not question.messages.filter(role=Message.Role.AI).exists()


def test_asking_for_an_expert_skips_the_bot(cast: Any, faq: KnowledgeEntry) -> None:
    question = asked(cast, "How do I clean the Trailblazer 2 trail shoes?", preference="expert")
    assert question_triage(question_id=question.pk).status == Question.Status.WAITING


def test_experts_see_a_redacted_copy(cast: Any, ask: Any, online: Any, api_as: Any) -> None:
    question = asked(
        cast,
        "My card 4111 1111 1111 1111 was charged twice for the Trailblazer 2. "
        "Call me on +44 20 7946 0958 or mail carol@example.com",
        product_id=cast.trail_shoe.pk,
    )
    question = question_triage(question_id=question.pk)
    assert "4111" not in question.redacted_body
    assert "carol@example.com" not in question.redacted_body
    assert "7946" not in question.redacted_body
    assert set(question.triage["pii"]) >= {"card", "email", "phone"}

    online(cast.ada)
    offer = services.routing_offer_question(question_id=question.pk)[0]
    ada = api_as(cast.ada)
    seen = ada.get("/api/v1/expert/offers").json()[0]["body"]
    assert "4111" not in seen
    ada.post(f"/api/v1/offers/{offer.pk}/accept")
    api_as(cast.carol).post(
        f"/api/v1/questions/{question.pk}/messages",
        {"body": "Or try dave@example.com"},
        format="json",
    )
    bodies = [
        m["body"] for m in api_as(cast.ada).get(f"/api/v1/questions/{question.pk}/messages").json()
    ]
    assert not any("@example.com" in b or "4111" in b for b in bodies)
    # the customer still sees what they wrote
    mine = [
        m["body"]
        for m in api_as(cast.carol).get(f"/api/v1/questions/{question.pk}/messages").json()
    ]
    assert "Or try dave@example.com" in mine


def test_the_product_is_guessed_when_not_given(cast: Any) -> None:
    question = asked(cast, "Is the Ridgeline 2P tent free-standing in strong wind?")
    question = question_triage(question_id=question.pk)
    assert question.product == cast.acme.products.get(name="Ridgeline 2P Tent")


def test_language_is_one_of_the_brands(cast: Any) -> None:
    question = asked(cast, "Wie reinige ich die Schuhe am besten nach einer Wanderung im Schlamm?")
    assert question_triage(question_id=question.pk).language == "de"
    question = asked(cast, "Comment nettoyer les chaussures après une randonnée dans la boue ?")
    assert question_triage(question_id=question.pk).language in {"en", "de"}  # Acme serves en, de


def test_triage_twice_changes_nothing(cast: Any, faq: KnowledgeEntry) -> None:
    question = asked(
        cast, "How do I clean my Trailblazer 2 trail shoes?", product_id=cast.trail_shoe.pk
    )
    question_triage(question_id=question.pk)
    question_triage(question_id=question.pk)
    assert Message.objects.filter(question=question, role=Message.Role.AI).count() == 1
