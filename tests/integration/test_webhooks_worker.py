"""Webhooks for real: a question committed by the web, a Celery worker over Redis delivering
the outbox event and then the webhook, a receiver that fails once, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from integrations import services
from integrations.models import WebhookDelivery
from routing import services as routing_services
from tests.integration.conftest import log_of, start_worker, stop, wait_for, wait_until_ready
from tests.integrations.conftest import Receiver, receiver  # noqa: F401 - fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def webhook_worker(require_postgres: None, require_redis: str) -> Iterator[Any]:
    process = start_worker(
        require_redis,
        env={
            # The endpoint's secret is sealed with SECRET_KEY: the worker must share it.
            "DJANGO_SECRET_KEY": django_settings.SECRET_KEY,
            "GIGCX_WEBHOOKS_ALLOW_PRIVATE": "true",
            "GIGCX_WEBHOOKS_ALLOW_HTTP": "true",
        },
    )
    wait_until_ready(process)
    yield process
    stop(process)


def test_a_worker_delivers_once_after_a_500_with_the_same_signed_id(
    cast: Any,
    receiver: Receiver,  # noqa: F811
    webhook_worker: Any,
    real_broker: None,
) -> None:
    # given: an endpoint whose receiver fails the first time
    _, receiver.secret = services.webhook_endpoint_create(
        brand=cast.acme, url=receiver.url, events=["question.asked"], actor=cast.sam
    )
    receiver.script = [500]

    # when: a customer asks (the web side commits; everything else is the worker's)
    question, _ = routing_services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do the Trailblazer 2 run narrow?"
    )

    # then: delivered after one retry (5 s backoff), exactly once successfully
    delivered = wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").exists(), timeout=60
    )
    assert delivered, log_of(webhook_worker)[-3000:]
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 2
    assert [r.answered for r in receiver.requests] == [500, 200]
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.message_id}
    message = receiver.verified(receiver.successes[0])
    assert message["data"]["question"]["id"] == question.pk
