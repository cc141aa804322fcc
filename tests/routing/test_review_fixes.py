"""Regression tests for defects found in review: PII before triage, QA writes, suspended
experts accepting, API keys on person-only endpoints, and malformed ids."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace import services as marketplace
from routing import services
from routing.models import Assignment, Question

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]


def test_asking_for_a_person_before_triage_still_hides_contact_details(
    cast: Any, api: Any, api_as: Any, online: Any
) -> None:
    # given: an anonymous question that asks for a person before triage has run
    created = api.post(
        "/api/v1/brands/acme/questions",
        {
            "body": "Trailblazer 2 fit? mail jane.doe@example.com or +49 170 1234567",
            "contact_email": "jane.doe@example.com",
            "product_id": cast.trail_shoe.pk,
        },
        format="json",
    ).json()
    token = created["access_token"]
    assert (
        api.post(
            f"/api/v1/questions/{created['id']}/human", HTTP_X_QUESTION_TOKEN=token
        ).status_code
        == 200
    )

    # when it reaches an expert
    online(cast.ada)
    offer = services.routing_offer_question(question_id=created["id"])[0]
    ada = api_as(cast.ada)
    shown = [ada.get("/api/v1/expert/offers").json()[0]["body"]]
    ada.post(f"/api/v1/offers/{offer.pk}/accept")
    shown += [m["body"] for m in ada.get(f"/api/v1/questions/{created['id']}/messages").json()]

    # then
    assert not any("jane.doe@example.com" in text or "1234567" in text for text in shown)
    assert Question.objects.get(pk=created["id"]).redacted_body


def test_quality_reviewers_cannot_resolve_or_write(cast: Any, ask: Any, api_as: Any) -> None:
    question = ask()
    quinn = api_as(cast.quinn)
    assert quinn.get(f"/api/v1/questions/{question.pk}").status_code == 200
    assert quinn.post(f"/api/v1/questions/{question.pk}/resolve").status_code == 403
    message = quinn.post(f"/api/v1/questions/{question.pk}/messages", {"body": "hi"}, format="json")
    assert message.status_code == 403
    assert Question.objects.get(pk=question.pk).status == "waiting"
    assert api_as(cast.maya).post(f"/api/v1/questions/{question.pk}/resolve").status_code == 200


def test_a_suspended_expert_cannot_accept_an_offer_made_before(
    cast: Any, ask: Any, online: Any
) -> None:
    from gigcx.exceptions import ConflictError

    online(cast.ada)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]
    marketplace.expert_enrol(brand=cast.acme, user=cast.ada, status="suspended", actor=cast.sam)
    with pytest.raises(ConflictError):
        services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    assert Assignment.objects.get(pk=offer.pk).status == "offered"


def test_api_keys_get_clear_refusals_on_person_only_endpoints(
    cast: Any, api: Any, api_as: Any
) -> None:
    key = (
        api_as(cast.sam)
        .post("/api/v1/brands/acme/api-keys", {"name": "crm"}, format="json")
        .json()["key"]
    )
    api.logout()
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    refused = [
        api.post(
            "/api/v1/brands/acme/questions",
            {"body": "From the integration?"},
            format="json",
            **auth,
        ),
        api.get("/api/v1/expert/presence", **auth),
        api.get("/api/v1/expert/offers", **auth),
        api.get("/api/v1/expert/payouts", **auth),
        api.get("/api/v1/expert/earnings", **auth),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert all(r.json()["error"]["code"] == "permission_denied" for r in refused)


def test_an_integration_can_answer_as_the_brands_team(
    cast: Any, ask: Any, api: Any, api_as: Any
) -> None:
    question = ask()
    key = (
        api_as(cast.sam)
        .post("/api/v1/brands/acme/api-keys", {"name": "crm"}, format="json")
        .json()["key"]
    )
    api.logout()
    posted = api.post(
        f"/api/v1/questions/{question.pk}/messages",
        {"body": "Our team is on it."},
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert posted.status_code == 201
    assert posted.json()["role"] == "staff"


def test_malformed_ids_are_400_or_404_never_500(
    cast: Any, ask: Any, api_as: Any, client: Any
) -> None:
    question = ask()
    carol = api_as(cast.carol)
    assert carol.get(f"/api/v1/questions/{question.pk}/messages?after=²").status_code == 400
    assert carol.get(f"/api/v1/questions/{question.pk}/messages?after=abc").status_code == 400
    client.raise_request_exception = False
    client.force_login(cast.sam)
    response = client.post(
        "/brands/acme/manage/payouts/", {"action": "hold", "earning_id": "abc", "reason": "x"}
    )
    assert response.status_code == 302
    response = client.post(
        "/brands/acme/manage/payouts/", {"action": "mark-failed", "payout_id": "²"}
    )
    assert response.status_code == 302
    response = client.post(
        f"/brands/acme/manage/pool/{cast.ada_expert.pk}/", {"action": "verify", "skill": "abc"}
    )
    assert response.status_code == 404
