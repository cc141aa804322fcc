"""The routing API as customers, experts and staff call it."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.models import DomainEvent
from routing import services
from routing.models import Assignment, Question
from routing.scoring import DEFAULT_WEIGHTS

pytestmark = pytest.mark.django_db


def test_a_signed_in_customer_asks_and_triage_waits_for_commit(
    cast: Any, api_as: Any, django_capture_on_commit_callbacks: Any, held_tasks: list[Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(cast.carol).post(
            "/api/v1/brands/acme/questions",
            {"body": "Do the Trailblazer 2 fit wide feet?", "product_id": cast.trail_shoe.pk},
            format="json",
        )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "new"
    assert body["access_token"] is None
    question = Question.objects.get(pk=body["id"])
    assert (question.asked_by, question.product) == (cast.carol, cast.trail_shoe)
    # one message: triage, which first delivers question.asked (brands' webhooks hear it)
    event = DomainEvent.objects.get(name="question.asked", payload__question_id=question.pk)
    assert event.delivered_at is None
    assert held_tasks == [("routing.triage_question", (question.pk, str(event.pk)))]


def test_an_anonymous_customer_gets_a_private_link_token(
    cast: Any, api: Any, held_tasks: list[Any]
) -> None:
    response = api.post(
        "/api/v1/brands/acme/questions",
        {"body": "Is the Ridgeline 2P free-standing?", "contact_email": "Walk.In@Example.com"},
        format="json",
    )
    assert response.status_code == 201
    token = response.json()["access_token"]
    question_id = response.json()["id"]
    assert Question.objects.get(pk=question_id).contact_email == "walk.in@example.com"
    assert token not in Question.objects.get(pk=question_id).access_token_hash

    assert (
        api.get(f"/api/v1/questions/{question_id}", HTTP_X_QUESTION_TOKEN=token).status_code == 200
    )
    assert (
        api.get(f"/api/v1/questions/{question_id}", HTTP_X_QUESTION_TOKEN="wrong").status_code
        == 404
    )
    assert api.get(f"/api/v1/questions/{question_id}").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "short"}, "body"),
        ({"body": "x" * 4001}, "body"),
        ({"body": "A real question here?", "product_id": 999999}, "product_id"),
        ({"body": "A real question here?", "preference": "robot"}, "preference"),
        ({"body": "A real question here?", "status": "resolved"}, "status"),
    ],
)
def test_bad_questions_are_refused_and_nothing_is_stored(
    cast: Any, api_as: Any, payload: dict[str, Any], field: str
) -> None:
    response = api_as(cast.carol).post("/api/v1/brands/acme/questions", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Question.objects.count() == 0


def test_another_brands_product_and_a_missing_email_are_field_errors(
    cast: Any, api: Any, api_as: Any
) -> None:
    foreign = api_as(cast.carol).post(
        "/api/v1/brands/acme/questions",
        {"body": "About the wheelset please", "product_id": cast.northwind_product.pk},
        format="json",
    )
    assert foreign.json()["error"]["fields"] == {"product_id": ["No such product at this brand."]}
    api.logout()
    anonymous = api.post(
        "/api/v1/brands/acme/questions", {"body": "No email given here"}, format="json"
    )
    assert "contact_email" in anonymous.json()["error"]["fields"]
    assert Question.objects.count() == 0


def test_asking_is_rate_limited(cast: Any, api_as: Any, held_tasks: list[Any]) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = {
        **api_settings.DEFAULT_THROTTLE_RATES,
        "questions": "2/min",
    }
    try:
        client = api_as(cast.carol)
        codes = [
            client.post(
                "/api/v1/brands/acme/questions", {"body": f"Question number {n}?"}, format="json"
            ).status_code
            for n in range(3)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [201, 201, 429]
    assert Question.objects.count() == 2


def test_staff_see_their_queue_and_others_do_not(cast: Any, ask: Any, api_as: Any) -> None:
    ask()
    assert api_as(cast.sam).get("/api/v1/brands/acme/questions").json()["count"] == 1
    assert api_as(cast.nora).get("/api/v1/brands/acme/questions").status_code == 404
    assert api_as(cast.carol).get("/api/v1/brands/acme/questions").status_code == 404


def test_the_expert_console_flow_over_the_api(cast: Any, ask: Any, api_as: Any) -> None:
    client = api_as(cast.ada)
    # going online
    assert (
        client.post("/api/v1/expert/presence", {"status": "online"}, format="json").json()["status"]
        == "online"
    )
    question = ask()
    Question.objects.filter(pk=question.pk).update(
        redacted_body="Call me on [phone] about the fit?"
    )
    services.routing_offer_question(question_id=question.pk)

    offers = client.get("/api/v1/expert/offers").json()
    assert len(offers) == 1
    offer = offers[0]
    assert offer["body"] == "Call me on [phone] about the fit?"  # the redacted copy
    assert 0 < offer["seconds_left"] <= 60
    assert offer["breakdown"]["skill"]["value"] == 1.0

    # the question is visible to her while offered, with the redacted body
    detail = client.get(f"/api/v1/questions/{question.pk}").json()
    assert detail["body"] == "Call me on [phone] about the fit?"

    accepted = client.post(f"/api/v1/offers/{offer['id']}/accept")
    assert accepted.status_code == 200
    again = client.post(f"/api/v1/offers/{offer['id']}/accept")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "offer_gone"

    sent = client.post(
        f"/api/v1/questions/{question.pk}/messages",
        {"body": "They run half a size small."},
        format="json",
    )
    assert sent.status_code == 201
    carol_view = api_as(cast.carol).get(f"/api/v1/questions/{question.pk}")
    assert carol_view.json()["expert"] == {"display_name": "Ada Lovelace", "verified_product": True}
    roles = [
        m["role"]
        for m in api_as(cast.carol).get(f"/api/v1/questions/{question.pk}/messages").json()
    ]
    assert roles == ["customer", "system", "expert"]

    resolved = api_as(cast.ada).post(f"/api/v1/questions/{question.pk}/resolve")
    assert resolved.json()["status"] == "resolved"
    # she can read her conversation afterwards (redacted, as before) but no longer write
    after = api_as(cast.ada).get(f"/api/v1/questions/{question.pk}")
    assert after.status_code == 200
    assert after.json()["status"] == "resolved"
    late = api_as(cast.ada).post(
        f"/api/v1/questions/{question.pk}/messages", {"body": "One more thing"}, format="json"
    )
    assert late.status_code == 403
    assert question.messages.count() == 3


def test_experts_cannot_touch_offers_or_questions_that_are_not_theirs(
    cast: Any, ask: Any, online: Any, api_as: Any
) -> None:
    online(cast.ada, cast.grace)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]
    grace = api_as(cast.grace)

    assert grace.post(f"/api/v1/offers/{offer.pk}/accept").status_code == 404
    assert grace.post(f"/api/v1/offers/{offer.pk}/decline").status_code == 404
    assert grace.get(f"/api/v1/questions/{question.pk}").status_code == 404
    assert (
        grace.post(
            f"/api/v1/questions/{question.pk}/messages", {"body": "hi"}, format="json"
        ).status_code
        == 404
    )
    assert grace.post(f"/api/v1/questions/{question.pk}/resolve").status_code == 404
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.OFFERED

    # ada, merely offered, can read but not write or resolve
    ada = api_as(cast.ada)
    assert (
        ada.post(
            f"/api/v1/questions/{question.pk}/messages", {"body": "hi"}, format="json"
        ).status_code
        == 403
    )
    assert ada.post(f"/api/v1/questions/{question.pk}/resolve").status_code == 403

    # after declining, the question is gone from her view
    ada.post(f"/api/v1/offers/{offer.pk}/decline")
    assert ada.get(f"/api/v1/questions/{question.pk}").status_code == 404


def test_escalate_and_hand_back_over_the_api(cast: Any, ask: Any, online: Any, api_as: Any) -> None:
    online(cast.ada)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]
    ada = api_as(cast.ada)
    ada.post(f"/api/v1/offers/{offer.pk}/accept")

    missing_reason = ada.post(f"/api/v1/questions/{question.pk}/escalate", {}, format="json")
    assert missing_reason.status_code == 400
    escalated = ada.post(
        f"/api/v1/questions/{question.pk}/escalate", {"reason": "Asks for a refund"}, format="json"
    )
    assert escalated.json()["status"] == "escalated"
    question.refresh_from_db()
    assert question.escalation_reason == "Expert: Asks for a refund"
    queue = api_as(cast.sam).get("/api/v1/brands/acme/questions").json()["results"]
    assert queue[0]["escalation_reason"] == "Expert: Asks for a refund"
    # staff answer in the conversation
    staff_msg = api_as(cast.sam).post(
        f"/api/v1/questions/{question.pk}/messages", {"body": "Refund sent."}, format="json"
    )
    assert staff_msg.json()["role"] == "staff"


def test_going_online_needs_an_approved_pool_place(cast: Any, api_as: Any) -> None:
    response = api_as(cast.carol).post(
        "/api/v1/expert/presence", {"status": "online"}, format="json"
    )
    assert response.status_code == 403  # no expert profile: the expert API is not hers
    assert "for experts" in response.json()["error"]["message"]
    bad = api_as(cast.ada).post("/api/v1/expert/presence", {"status": "busy"}, format="json")
    assert "status" in bad.json()["error"]["fields"]


def test_knowledge_base_is_public_when_published_and_written_by_editors(
    cast: Any, api_as: Any
) -> None:
    sam = api_as(cast.sam)
    ok = sam.post(
        "/api/v1/brands/acme/knowledge",
        {"question": "How do I clean them?", "answer": "Lukewarm water and a soft brush."},
        format="json",
    )
    draft = sam.post(
        "/api/v1/brands/acme/knowledge",
        {
            "question": "Secret launch date?",
            "answer": "Next spring, do not share.",
            "is_published": False,
        },
        format="json",
    )
    bad = sam.post(
        "/api/v1/brands/acme/knowledge", {"question": "?", "answer": "no"}, format="json"
    )
    assert ok.status_code == 201
    assert draft.status_code == 201
    assert set(bad.json()["error"]["fields"]) == {"question", "answer"}

    staff = [e["question"] for e in sam.get("/api/v1/brands/acme/knowledge").json()["results"]]
    carol = api_as(cast.carol)  # the same client, now signed in as a customer
    public = [e["question"] for e in carol.get("/api/v1/brands/acme/knowledge").json()["results"]]
    assert public == ["How do I clean them?"]
    assert sorted(staff) == ["How do I clean them?", "Secret launch date?"]
    assert (
        api_as(cast.quinn)
        .post(
            "/api/v1/brands/acme/knowledge",
            {"question": "QA entry?", "answer": "QA cannot write."},
            format="json",
        )
        .status_code
        == 403
    )


def test_staff_see_why_each_expert_was_offered_the_question(
    cast: Any, ask: Any, online: Any, client: Any
) -> None:
    online(cast.ada)
    question = ask()
    services.routing_offer_question(question_id=question.pk)

    client.force_login(cast.sam)
    html = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Why these experts" in html
    assert "verified level 5 on this product" in html

    client.force_login(cast.ada)  # the expert does not see the scoring of others
    assert "Why these experts" not in client.get(f"/questions/{question.pk}/").content.decode()


def test_routing_settings_are_changed_by_editors_within_limits(cast: Any, api_as: Any) -> None:
    from gigcx.models import AuditEvent

    sam = api_as(cast.sam)
    assert sam.get("/api/v1/brands/acme/routing").json()["offer_timeout_seconds"] == 60
    ok = sam.patch(
        "/api/v1/brands/acme/routing",
        {"mode": "broadcast", "broadcast_size": 3, "weights": {"activity": 3}},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.json()["weights"]["activity"] == 3.0
    assert ok.json()["weights"]["skill"] == DEFAULT_WEIGHTS["skill"]  # defaults fill the rest
    bad = sam.patch(
        "/api/v1/brands/acme/routing",
        {"offer_timeout_seconds": 2, "step_waits": [1], "weights": {"luck": 1}},
        format="json",
    )
    assert set(bad.json()["error"]["fields"]) == {"offer_timeout_seconds", "step_waits", "weights"}
    assert AuditEvent.objects.filter(action="routing.settings_changed").count() == 1
    assert (
        api_as(cast.quinn)
        .patch("/api/v1/brands/acme/routing", {"mode": "single"}, format="json")
        .status_code
        == 403
    )


def test_an_anonymous_asker_is_mailed_the_private_link(
    cast: Any,
    api: Any,
    held_tasks: list[Any],
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/brands/acme/questions",
            {"body": "Is the Ridgeline 2P free-standing?", "contact_email": "walk.in@example.com"},
            format="json",
        )
    token = response.json()["access_token"]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["walk.in@example.com"]
    question_id = response.json()["id"]
    # the token rides in the fragment, which browsers never send (tests/routing/test_private_link)
    assert f"/q/{question_id}/#t={token}" in mail.body
    assert f"/q/{question_id}/{token}" not in mail.body
    assert "free-standing" not in mail.body  # links, not customer text
    opened = api.post(f"/q/{question_id}/", {"token": token}, follow=True)
    assert opened.status_code == 200
    assert "free-standing" in opened.content.decode()
    assert api.post(f"/q/{question_id}/", {"token": "not-the-token"}).status_code == 404


def test_staff_are_mailed_when_a_question_is_escalated(
    cast: Any, ask: Any, online: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    online(cast.ada)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_escalate(
            question_id=question.pk, user=cast.ada, reason="Wants a refund"
        )
    escalation = [m for m in mailoutbox if "needs your team" in m.subject]
    assert len(escalation) == 1
    assert sorted(escalation[0].to) == ["maya@acme.example", "sam@acme.example"]  # not QA
    assert "Wants a refund" in escalation[0].body
    assert question.body not in escalation[0].body


def test_the_widget_pages_may_be_framed_by_the_brands_site_only(cast: Any, client: Any) -> None:
    from marketplace.models import Brand
    from tests.test_security_headers import policy

    open_embed = client.get("/embed/acme/")
    assert open_embed.status_code == 200
    assert "X-Frame-Options" not in open_embed
    assert policy(open_embed)["frame-ancestors"] == {"*"}

    Brand.objects.filter(pk=cast.acme.pk).update(website="https://shop.acme.example/help")
    restricted = client.get("/embed/acme/")
    assert policy(restricted)["frame-ancestors"] == {"'self'", "https://shop.acme.example"}
    # everything else still refuses to be framed
    assert client.get("/brands/acme/ask/")["X-Frame-Options"] == "DENY"
    assert client.get("/embed/northwind-nope/").status_code == 404


def test_a_returning_customer_can_ask_their_previous_expert_again(
    cast: Any, ask: Any, online: Any, client: Any, held_tasks: list[Any]
) -> None:
    online(cast.ada)
    first = ask()
    offer = services.routing_offer_question(question_id=first.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    services.question_resolve(question_id=first.pk, actor=cast.carol)

    client.force_login(cast.carol)
    page = client.get("/brands/acme/ask/").content.decode()
    assert "Ask someone who helped you before?" in page
    assert "Ada Lovelace" in page
    response = client.post(
        "/brands/acme/ask/",
        {
            "body": "Same shoes, new question: laces?",
            "preference": "expert",
            "preferred_expert": cast.ada_expert.pk,
        },
    )
    assert response.status_code == 302
    assert Question.objects.latest("pk").preferred_expert == cast.ada_expert
    # someone without history does not get the choice
    client.force_login(cast.nora)
    assert "helped you before" not in client.get("/brands/acme/ask/").content.decode()
