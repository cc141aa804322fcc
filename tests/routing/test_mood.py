"""Every customer message is read: an angry follow-up reaches a person, a sharp rise in a
conversation tells the expert and, past the brand's threshold, its staff."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.models import DomainEvent
from routing import selectors, services
from routing.models import Assignment, Message, Question, RoutingSettings
from routing.triage import question_triage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]

CALM = "Thanks, that makes sense. One more thing: can I dry them in the sun?"
ANGRY = (
    "This is useless!!! I have asked THREE times and your stupid bot keeps giving me the "
    "same answer. Unacceptable, I want my money back NOW."
)


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[int], dict[str, Any]]]:
    sent: list[tuple[list[int], dict[str, Any]]] = []
    monkeypatch.setattr(
        "routing.services.questions.push_after_commit",
        lambda users, event: sent.append((sorted(u for u in users if u), event)),
    )
    return sent


@pytest.fixture
def answered(cast: Any) -> Question:
    """Carol's calm question, answered automatically from the FAQ."""
    services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        product_id=cast.trail_shoe.pk,
        question="How do I clean the Trailblazer 2 trail shoes?",
        answer="Rinse with lukewarm water and a soft brush; dry away from radiators.",
    )
    question, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="How do I clean my Trailblazer 2 trail shoes?",
        product_id=cast.trail_shoe.pk,
    )
    question = question_triage(question_id=question.pk)
    assert question.status == Question.Status.AI_ANSWERED
    return question


def test_an_angry_follow_up_to_an_automated_answer_goes_to_a_person_first_in_line(
    cast: Any, answered: Question, online: Any
) -> None:
    online(cast.ada)
    services.message_post(question=answered, author=cast.carol, role="customer", body=ANGRY)

    answered.refresh_from_db()
    assert answered.status in (Question.Status.WAITING, Question.Status.OFFERED)
    assert answered.priority == 2
    last = answered.messages.filter(role=Message.Role.CUSTOMER).order_by("-pk").first()
    assert last.frustration is not None
    assert last.frustration >= 0.5
    assert answered.messages.filter(role="system", body__contains="A person is coming").exists()


def test_a_calm_follow_up_stays_with_the_automated_answer(cast: Any, answered: Question) -> None:
    services.message_post(question=answered, author=cast.carol, role="customer", body=CALM)

    answered.refresh_from_db()
    assert answered.status == Question.Status.AI_ANSWERED
    assert answered.messages.filter(role="customer").exclude(frustration=None).count() == 1


def _with_ada(cast: Any, ask: Any, online: Any) -> tuple[Question, Assignment]:
    online(cast.ada)
    question = ask("Do the Trailblazer 2 run narrow? I have wide feet.")
    question.triage = {"frustration": 0.1}
    question.frustration = 0.1
    question.save(update_fields=["triage", "frustration"])
    offer = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    question.refresh_from_db()
    return question, Assignment.objects.get(pk=offer.pk)


def test_a_sharp_rise_tells_the_expert_and_past_the_threshold_the_staff(
    cast: Any, ask: Any, online: Any, pushes: list[Any]
) -> None:
    question, _ = _with_ada(cast, ask, online)
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"staff_alert_frustration": 0.6}
    )

    services.message_post(question=question, author=cast.carol, role="customer", body=ANGRY)

    kinds = {event["type"]: users for users, event in pushes}
    assert kinds["mood.rising"] == [cast.ada.pk]
    staff = sorted(cast.acme.memberships.values_list("user_id", flat=True))
    assert kinds["mood.alert"] == staff
    event = DomainEvent.objects.get(name="question.upset")
    assert event.payload["question_id"] == question.pk
    # staff are told once, not on every angry line that follows at the same level
    pushes.clear()
    services.message_post(question=question, author=cast.carol, role="customer", body=ANGRY)
    assert "mood.alert" not in {event["type"] for _, event in pushes}


def test_a_calm_conversation_alerts_nobody_and_its_lift_is_measured(
    cast: Any, ask: Any, online: Any, pushes: list[Any]
) -> None:
    question, _ = _with_ada(cast, ask, online)
    services.message_post(question=question, author=cast.ada, role="expert", body="Go half up.")
    services.message_post(question=question, author=cast.carol, role="customer", body=CALM)

    assert not {"mood.rising", "mood.alert"} & {event["type"] for _, event in pushes}
    assert not DomainEvent.objects.filter(name="question.upset").exists()
    lift = selectors.question_sentiment_lift(question)
    assert lift is not None
    last = question.messages.filter(role="customer").order_by("pk").last().frustration
    assert lift == pytest.approx(0.1 - last, abs=0.001)


def test_an_upset_start_that_ends_calm_has_a_positive_lift(
    cast: Any, ask: Any, online: Any
) -> None:
    question, _ = _with_ada(cast, ask, online)
    Question.objects.filter(pk=question.pk).update(triage={"frustration": 0.9})
    question.refresh_from_db()
    services.message_post(question=question, author=cast.carol, role="customer", body=CALM)
    assert selectors.question_sentiment_lift(question) > 0.3
    quiet, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Not yet triaged, one message"
    )
    assert selectors.question_sentiment_lift(quiet) is None


def test_staff_set_the_alert_threshold_within_limits(cast: Any, api_as: Any) -> None:
    url = "/api/v1/brands/acme/routing"
    bad = api_as(cast.sam).patch(url, {"staff_alert_frustration": 1.5}, format="json")
    assert bad.status_code == 400
    assert "staff_alert_frustration" in bad.json()["error"]["fields"]
    ok = api_as(cast.sam).patch(url, {"staff_alert_frustration": 0.7}, format="json")
    assert ok.status_code == 200
    assert ok.json()["staff_alert_frustration"] == 0.7
    assert RoutingSettings.objects.get(brand=cast.acme).staff_alert_frustration == 0.7
