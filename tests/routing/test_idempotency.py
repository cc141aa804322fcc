"""Idempotency-Key on question intake: a client's retry returns the first question and never
creates a second one (issue 11)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from gigcx.models import IdempotencyKey
from gigcx.tasks import prune_idempotency_keys
from routing.models import Question

ASK = "/api/v1/brands/acme/questions"
BODY = {"body": "Do the Trailblazer 2 run narrow?", "contact_email": "ann@x.example"}


@pytest.mark.django_db
def test_an_anonymous_retry_returns_the_first_question_and_its_token(
    cast: Any,
    api: Any,
    held_tasks: list[Any],
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(ASK, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(ASK, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Question.objects.count() == 1
    assert len(mailoutbox) == 1
    # the replayed token works, and is not kept in clear in the database
    token = again.json()["access_token"]
    question_id = first.json()["id"]
    detail = api.get(f"/api/v1/questions/{question_id}", HTTP_X_QUESTION_TOKEN=token)
    assert detail.status_code == 200
    stored = IdempotencyKey.objects.get()
    assert token not in str(stored.response)
    assert stored.caller == "anon:127.0.0.1"
    lifetime = stored.expires_at - stored.created_at
    assert abs(lifetime - timedelta(hours=24)) < timedelta(seconds=5)


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(
    cast: Any, api_as: Any, held_tasks: list[Any]
) -> None:
    client = api_as(cast.carol)
    first = client.post(ASK, {"body": BODY["body"]}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = client.post(
        ASK, {"body": "Another question entirely?"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert first.status_code == 201
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert "different request" in other.json()["error"]["message"]
    assert Question.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_caller(cast: Any, api_as: Any, held_tasks: list[Any]) -> None:
    body = {"body": BODY["body"]}
    carol = api_as(cast.carol).post(ASK, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    ada = api_as(cast.ada).post(ASK, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert (carol.status_code, ada.status_code) == (201, 201)
    assert carol.json()["id"] != ada.json()["id"]
    assert Question.objects.filter(asked_by=cast.carol).count() == 1
    assert Question.objects.filter(asked_by=cast.ada).count() == 1


@pytest.mark.django_db
def test_a_failed_request_keeps_no_key_so_the_fixed_one_goes_through(
    cast: Any, api: Any, held_tasks: list[Any]
) -> None:
    bad = api.post(ASK, {"body": BODY["body"]}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    fixed = api.post(ASK, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert bad.status_code == 400
    assert "contact_email" in bad.json()["error"]["fields"]
    assert fixed.status_code == 201
    assert Question.objects.count() == 1


@pytest.mark.django_db
def test_a_key_expires_after_a_day(cast: Any, api: Any, held_tasks: list[Any]) -> None:
    api.post(ASK, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    later = api.post(ASK, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-4")

    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later
    assert Question.objects.count() == 2
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert prune_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_an_unusable_key_is_a_400_with_a_field_message(
    cast: Any, api: Any, held_tasks: list[Any]
) -> None:
    response = api.post(ASK, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert Question.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_make_one_question(
    require_postgres: None, cast: Any, held_tasks: list[Any]
) -> None:
    def post(barrier: threading.Barrier, answers: list[Any], slot: int, key: str) -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=30)
            answers[slot] = client.post(ASK, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
        finally:
            connection.close()

    for trial in range(5):
        barrier = threading.Barrier(2)
        answers: list[Any] = [None, None]
        threads = [
            threading.Thread(target=post, args=(barrier, answers, slot, f"race-{trial}"))
            for slot in (0, 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert [a.status_code for a in answers] == [201, 201]
        assert answers[0].json() == answers[1].json()
        assert Question.objects.count() == trial + 1
