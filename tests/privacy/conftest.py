"""Data-rights fixtures: a customer with history at two brands, and someone else's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gigcx.accounts import user_create
from marketplace import demo
from payments import services as payments
from quality.models import Rating
from quality.services import rating_create
from routing import services as routing
from routing.models import Question
from tests.quality.conftest import converse_through_routing

# Her own words carry contact details, so the redacted copy experts saw differs.
CAROL_LINE = "My number is +44 20 7946 0958, call me after six."
CAROL_COMMENT = "Ada was lovely, write to carol@example.com any time."
NOTE = "Staff only: she sounded like a reseller."
STAFF_LINE = "Sam from Acme here: an expert will answer shortly."


@dataclass
class History:
    resolved: Question  # Acme, answered by Ada, rated
    open: Question  # Acme, still with the experts
    anonymous: Question  # Northwind, asked signed out with her address
    rating: Rating
    dave: Any
    daves: Question  # another customer's question at Acme


@pytest.fixture
def history(cast: Any, ask: Any, django_capture_on_commit_callbacks: Any) -> History:
    # A rate card, so that resolving books Ada's earning in the ledger.
    payments.rate_card_create(
        brand=cast.acme, actor=cast.sam, currency="EUR", default_amount=400, platform_fee_bps=1500
    )
    with django_capture_on_commit_callbacks(execute=True):
        resolved = converse_through_routing(
            cast, ask, cast.ada, [CAROL_LINE], body="Do they run narrow?"
        )
    routing.internal_note_add(question=resolved, author=cast.sam, body=NOTE)
    with django_capture_on_commit_callbacks(execute=True):
        rating = rating_create(
            question=resolved, score=5, solved=True, comment=CAROL_COMMENT, actor=cast.carol
        )
    open_question = ask("And the Ridgeline tent, is it warm enough in March?")
    routing.message_post(question=open_question, author=cast.sam, role="staff", body=STAFF_LINE)
    anonymous, _ = routing.question_create(
        brand=cast.northwind,
        body="Is the wheelset tubeless ready?",
        contact_email="Carol@Example.com",
    )
    dave = user_create(
        email="dave@example.com", password=demo.DEMO_PASSWORD, name="Dave Other", verified=True
    )
    daves = ask("Dave here: what size for wide feet?", asked_by=dave)
    resolved.refresh_from_db()
    open_question.refresh_from_db()
    return History(resolved, open_question, anonymous, rating, dave, daves)


def acme_webhook_log(cast: Any) -> Any:
    """An Acme endpoint for every question event, and its messages about every event so far
    (as the outbox subscriber writes them)."""
    from gigcx.models import DomainEvent
    from integrations.models import WebhookDelivery, WebhookEndpoint, webhook_secret_new
    from integrations.services import webhook_event_fanout

    endpoint = WebhookEndpoint(
        brand=cast.acme,
        url="https://crm.acme.example/hooks",
        events=["question.asked", "question.accepted", "question.resolved"],
    )
    endpoint.secret = webhook_secret_new()
    endpoint.save()
    for event in DomainEvent.objects.filter(brand_id=cast.acme.pk, name__in=endpoint.events):
        webhook_event_fanout(event=event)
    return WebhookDelivery.objects.filter(endpoint=endpoint)


def webhook_texts(deliveries: Any, question: Any) -> set[str]:
    return {
        payload["data"]["question"]["text"]
        for payload in deliveries.filter(payload__data__question__id=question.pk).values_list(
            "payload", flat=True
        )
    }
