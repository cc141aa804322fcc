"""Card numbers in customer text are masked before they are stored: questions, messages and
rating comments keep the last four digits at most, for everyone (issue 11)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from quality.models import Rating
from routing.models import Message, Question
from routing.text import mask_cards, redact

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"


def test_mask_cards_keeps_only_the_last_four_digits() -> None:
    assert mask_cards(f"charged twice on {CARD} today") == (
        "charged twice on [card ending 1111] today"
    )
    assert mask_cards("card 5500-0000-0000-0004.") == "card [card ending 0004]."
    # not cards: an order number failing Luhn, a price, an IBAN
    assert mask_cards("order 1234 5678 9012 3456") == "order 1234 5678 9012 3456"
    assert mask_cards("it cost 129.99") == "it cost 129.99"
    assert mask_cards("IBAN DE89 3704 0044 0532 0130 00") == "IBAN DE89 3704 0044 0532 0130 00"
    # experts see no digits of it at all
    assert redact(mask_cards(f"my card {CARD}")).text == "my card [card]"


def test_a_question_and_its_messages_are_stored_masked_for_everyone(
    cast: Any, api_as: Any, api: Any, held_tasks: list[Any]
) -> None:
    created = api.post(
        "/api/v1/brands/acme/questions",
        {"body": f"You charged {CARD} twice, please refund", "contact_email": "z@x.example"},
        format="json",
    )
    assert created.status_code == 201, created.content
    question = Question.objects.get()
    assert "4111 1111" not in question.body
    assert question.body == "You charged [card ending 1111] twice, please refund"
    assert created.json()["body"] == question.body
    assert all(CARD not in m.body for m in Message.objects.all())

    token = created.json()["access_token"]
    posted = api.post(
        f"/api/v1/questions/{question.pk}/messages",
        {"body": "The other card is 5500 0000 0000 0004"},
        format="json",
        HTTP_X_QUESTION_TOKEN=token,
    )
    assert posted.status_code == 201, posted.content
    assert Message.objects.filter(body="The other card is [card ending 0004]").exists()

    # staff read the masked text
    staff = api_as(cast.sam).get(f"/api/v1/questions/{question.pk}")
    assert staff.json()["body"] == question.body


def test_a_rating_comment_is_stored_masked(cast: Any, resolved: Any, rate: Any) -> None:
    question = resolved(cast.ada)
    response = rate(question, 2, comment=f"Still charged on {CARD}")
    assert response.status_code == 201, response.content
    rating = Rating.objects.get(question=question)
    assert rating.comment == "Still charged on [card ending 1111]"
    assert "1111" not in rating.redacted_comment


def test_the_migration_masks_card_numbers_already_stored(cast: Any, ask: Any) -> None:
    question = ask("Is the Trailblazer 2 narrow?")
    # rows written before masking existed (as an old release stored them)
    Question.objects.filter(pk=question.pk).update(body=f"paid with {CARD}")
    Message.objects.filter(question=question).update(body=f"paid with {CARD}")
    untouched = Message.objects.create(question=question, role="customer", body="order 12345678")

    migration = importlib.import_module("routing.migrations.0007_mask_card_numbers")
    migration.mask_existing(apps, None)

    question.refresh_from_db()
    assert question.body == "paid with [card ending 1111]"
    assert not Message.objects.filter(body__contains="4111").exists()
    untouched.refresh_from_db()
    assert untouched.body == "order 12345678"
