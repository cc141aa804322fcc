"""Idempotency-Key on every API write that creates something, beyond question intake: a
message, a rating, an API key (its secret replayed, stored encrypted) and an invitation. The
same key and body return the first result with no second row; another body is 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gigcx.models import IdempotencyKey
from marketplace.models import BrandApiKey, Invitation
from quality.models import Rating
from routing.models import Message

pytestmark = pytest.mark.django_db

Write = tuple[Any, str, dict[str, Any], dict[str, Any], Callable[[], int]]


@pytest.fixture
def writes(cast: Any, resolved: Any, ask: Any) -> dict[str, Write]:
    """(who, url, body, another body, count of the rows it creates) per kind of write."""
    done = resolved()
    open_question = ask()
    return {
        "message": (
            cast.carol,
            f"/api/v1/questions/{open_question.pk}/messages",
            {"body": "Any news about my question?"},
            {"body": "Something else entirely."},
            lambda: Message.objects.filter(question=open_question, role="customer").count(),
        ),
        "rating": (
            cast.carol,
            f"/api/v1/questions/{done.pk}/rating",
            {"score": 5, "solved": True},
            {"score": 1, "solved": False},
            lambda: Rating.objects.filter(question=done).count(),
        ),
        "api key": (
            cast.sam,
            "/api/v1/brands/acme/api-keys",
            {"name": "crm"},
            {"name": "warehouse"},
            lambda: BrandApiKey.objects.filter(brand=cast.acme).count(),
        ),
        "invitation": (
            cast.sam,
            "/api/v1/brands/acme/invitations",
            {"email": "kim.retry@example.com"},
            {"email": "lee.retry@example.com"},
            lambda: Invitation.objects.filter(brand=cast.acme).count(),
        ),
    }


@pytest.mark.parametrize("kind", ["message", "rating", "api key", "invitation"])
def test_a_retry_returns_the_first_result_and_another_body_is_409(
    writes: dict[str, Write], kind: str, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    who, url, body, other, rows = writes[kind]
    client = api_as(who)
    before = rows()

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"{kind}-1")
        again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"{kind}-1")
        clash = client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY=f"{kind}-1")

    assert first.status_code == 201, first.content
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert rows() == before + 1
    assert clash.status_code == 409
    assert "Idempotency-Key" in clash.json()["error"]["message"]


def test_an_api_keys_secret_is_replayed_but_stored_encrypted(
    writes: dict[str, Write], api_as: Any
) -> None:
    who, url, body, _, _ = writes["api key"]
    client = api_as(who)
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="key-secret")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="key-secret")
    secret = first.json()["key"]
    assert again.json()["key"] == secret
    assert secret not in str(IdempotencyKey.objects.get(key="key-secret").response)
