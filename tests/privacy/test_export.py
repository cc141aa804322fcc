"""A customer's data export: GET /api/v1/me/export and the download on /account/data/.

What is in it (her words unredacted, the replies as she saw them, her ratings and choice)
and what never is (internal notes, other customers, other people's addresses)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from routing import services as routing
from tests.privacy.conftest import CAROL_COMMENT, CAROL_LINE, NOTE, STAFF_LINE

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/me/export"


def test_the_export_holds_her_account_questions_messages_ratings_and_choice(
    cast: Any, history: Any, api_as: Any
) -> None:
    response = api_as(cast.carol).get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="gigcx-my-data.json"'
    data = response.json()
    assert data["format"] == "gigcx-export/1"
    assert data["account"]["email"] == "carol@example.com"
    assert data["account"]["name"] == "Carol Danvers"
    assert data["account"]["email_addresses"] == [
        {"email": "carol@example.com", "verified": True, "primary": True}
    ]
    assert data["consents"] == {"tone_analysis": True}
    by_id = {q["id"]: q for q in data["questions"]}
    assert set(by_id) == {history.resolved.pk, history.open.pk}
    resolved = by_id[history.resolved.pk]
    assert resolved["brand"] == {"slug": "acme", "name": "Acme Outdoors"}
    assert resolved["body"] == "Do they run narrow?"
    lines = [(m["role"], m["from"], m["body"]) for m in resolved["messages"]]
    # her own line as she wrote it (experts saw it with the number hidden)
    assert ("customer", "you", CAROL_LINE) in lines
    assert history.resolved.messages.get(body=CAROL_LINE).redacted_body != CAROL_LINE
    assert ("expert", "Ada Lovelace", "I hear you.") in lines
    staff = [m for m in by_id[history.open.pk]["messages"] if m["role"] == "staff"]
    assert [(m["from"], m["body"]) for m in staff] == [("Brand staff", STAFF_LINE)]
    assert resolved["rating_id"] == history.rating.pk
    assert data["ratings"] == [
        {
            "id": history.rating.pk,
            "question_id": history.resolved.pk,
            "score": 5,
            "solved": True,
            "comment": CAROL_COMMENT,
            "rated_at": history.rating.created_at.isoformat(),
            "reopened_at": None,
        }
    ]


def test_the_export_holds_her_calls_and_callbacks_without_anyone_elses(
    cast: Any, history: Any, api_as: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from voice.models import Call, CallbackSlot

    # given: a finished call with Ada on her resolved question, a callback booked, and
    # Dave's call on his own question
    now = timezone.now()
    Call.objects.create(
        question=history.resolved,
        brand=cast.acme,
        customer=cast.carol,
        expert=cast.ada_expert,
        status=Call.Status.ENDED,
        connected_at=now - timedelta(minutes=3),
        ended_at=now - timedelta(minutes=1),
        duration_seconds=120,
        rating=4,
    )
    CallbackSlot.objects.create(
        question=history.open, brand=cast.acme, customer=cast.carol, starts_at=now
    )
    Call.objects.create(question=history.daves, brand=cast.acme, customer=history.dave)

    data = api_as(cast.carol).get(EXPORT).json()

    [call] = data["calls"]
    assert call["question_id"] == history.resolved.pk
    assert (call["status"], call["duration_seconds"], call["rating"]) == ("ended", 120, 4)
    assert call["expert"] == "Ada Lovelace"
    [slot] = data["callbacks"]
    assert slot["question_id"] == history.open.pk


def test_the_export_leaves_out_notes_other_customers_and_other_peoples_addresses(
    cast: Any, history: Any, api_as: Any
) -> None:
    text = json.dumps(api_as(cast.carol).get(EXPORT).json())

    assert NOTE not in text  # internal staff notes are the brand's
    assert "Dave" not in text
    assert history.daves.body not in text
    for other in ("dave@example.com", "ada@example.com", "sam@acme.example", "nora@north"):
        assert other not in text
    assert "password" not in text
    assert "access_token" not in text
    # routing's internals stay out: offers, score breakdowns, expert ids
    assert "breakdown" not in text
    assert "expert_id" not in text


def test_another_customer_gets_only_her_own(cast: Any, history: Any, api_as: Any) -> None:
    data = api_as(history.dave).get(EXPORT).json()

    assert [q["id"] for q in data["questions"]] == [history.daves.pk]
    assert data["ratings"] == []
    assert CAROL_LINE not in json.dumps(data)


def test_brand_staff_export_their_own_data_not_their_brands(
    cast: Any, history: Any, api_as: Any
) -> None:
    data = api_as(cast.sam).get(EXPORT).json()

    assert data["account"]["email"] == "sam@acme.example"
    assert data["questions"] == []
    assert data["ratings"] == []


def test_strangers_and_api_keys_get_nothing(cast: Any, history: Any, api: Any) -> None:
    from marketplace import services

    assert api.get(EXPORT).status_code in (401, 403)
    _, secret = services.api_key_create(brand=cast.acme, name="CRM", actor=cast.sam)
    response = api.get(EXPORT, HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert response.status_code == 403
    assert "Sign in as yourself" in response.json()["error"]["message"]


def test_the_query_count_does_not_grow_with_her_history(
    cast: Any, history: Any, ask: Any, api_as: Any
) -> None:
    client = api_as(cast.carol)
    with CaptureQueriesContext(connection) as few:
        client.get(EXPORT)
    for n in range(4):
        question = ask(f"Another question number {n}")
        routing.message_post(question=question, author=cast.carol, role="customer", body="More")
    with CaptureQueriesContext(connection) as many:
        data = client.get(EXPORT).json()

    assert len(data["questions"]) == 6
    assert len(many) == len(few)
    # user; then the export: email addresses, two-factor, questions, their messages (with
    # the experts' profiles), ratings, calls, callbacks; and the session row, unless it
    # came from the cache (gigcx/sessions.py, with Redis)
    assert len([q for q in many if "django_session" not in q["sql"]]) == 8


def test_the_export_service_runs_seven_queries(
    cast: Any, history: Any, django_assert_num_queries: Any
) -> None:
    from privacy.services import account_export

    with django_assert_num_queries(7):
        account_export(user=cast.carol)


def test_the_page_downloads_the_same_document(cast: Any, history: Any, client: Any) -> None:
    client.force_login(cast.carol)
    page = client.get("/account/data/")
    assert page.status_code == 200
    assert "Download my data" in page.content.decode()
    assert "Delete my account" in page.content.decode()

    response = client.post("/account/data/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert {q["id"] for q in data["questions"]} == {history.resolved.pk, history.open.pk}
    assert NOTE not in response.content.decode()


def test_the_customer_home_links_to_the_page(cast: Any, client: Any) -> None:
    client.force_login(cast.carol)

    assert 'href="/account/data/"' in client.get("/customer/").content.decode()


def test_the_page_needs_a_sign_in(client: Any) -> None:
    assert client.get("/account/data/").status_code == 302
    assert client.post("/account/data/export/").status_code == 302


def test_exports_are_rate_limited_across_the_api_and_the_page(
    cast: Any, history: Any, api_as: Any, client: Any, monkeypatch: Any
) -> None:
    from gigcx.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"data_export": "2/hour"})
    assert api_as(cast.carol).get(EXPORT).status_code == 200
    client.force_login(cast.carol)
    assert client.post("/account/data/export/").status_code == 200

    over = api_as(cast.carol).get(EXPORT)
    page = client.post("/account/data/export/")

    assert over.status_code == 429
    assert int(over["Retry-After"]) > 0
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    assert "gigcx-my-data" not in page.get("Content-Disposition", "")
    # another customer has her own allowance
    assert api_as(history.dave).get(EXPORT).status_code == 200
