"""Payments fixtures: Acme's rate card, resolved questions, and the fake Stripe server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from marketplace.models import Expert, Product
from payments import services
from payments.models import Earning, RateCard
from routing import services as routing
from routing.models import Question
from tests.payments.fake_stripe import FakeStripe, running_fake_stripe

IBAN = "DE89370400440532013000"  # the standard example IBAN (valid checksum)


@pytest.fixture
def tent(cast: Any) -> Product:
    return Product.objects.get(brand=cast.acme, name="Ridgeline 2P Tent")


@pytest.fixture
def resolve(cast: Any, ask: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """``resolve(user, product)``: the question goes through routing to ``user`` (the only
    expert online), who accepts and resolves it; the outbox delivers ``question.resolved``."""

    def run(user: Any, product: Any = "default") -> Question:
        for person in (cast.ada, cast.grace):
            routing.presence_set(user=person, status="online" if person == user else "offline")
        question = ask(product=product)
        offers = routing.routing_offer_question(question_id=question.pk)
        assert [o.expert.user for o in offers] == [user]
        routing.assignment_accept(assignment_id=offers[0].pk, user=user)
        with django_capture_on_commit_callbacks(execute=True):
            routing.question_resolve(question_id=question.pk, actor=user)
        return question

    return run


@pytest.fixture
def earned(cast: Any, rate_card: RateCard, resolve: Any) -> Any:
    """``earned(user, count)``: ``count`` resolved trail-shoe questions, cleared (available)."""

    def run(user: Any, count: int = 1, product: Any = "default") -> list[Earning]:
        questions = [resolve(user, product) for _ in range(count)]
        services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
        return list(Earning.objects.filter(question__in=questions))

    return run


@pytest.fixture
def ada_expert(cast: Any) -> Expert:
    return cast.ada_expert


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    with running_fake_stripe() as fake:
        settings.STRIPE_API_BASE = fake.base
        settings.STRIPE_SECRET_KEY = "sk_test_gigcx"
        settings.STRIPE_TIMEOUT = 1
        fake.timeout_sleep = 1.5
        yield fake
