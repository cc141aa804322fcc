"""The real thing: a Celery worker process, Redis as broker and PostgreSQL.

Eager mode hides ordering and redelivery bugs, so this path is exercised for real: the web
side commits, publishes after commit to Redis, and a separate worker process updates the
database.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from django.db import transaction

from gigcx import events
from gigcx.models import DomainEvent
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_event_committed_by_the_web_is_delivered_by_a_worker_over_redis(
    worker: subprocess.Popen[str], real_broker: None
) -> None:
    # given / when: a change commits with its event
    with transaction.atomic():
        event = events.event_record(name="test.worker", payload={"n": 1})

    # then: another process marks it delivered
    delivered = wait_for(
        lambda: DomainEvent.objects.filter(pk=event.pk, delivered_at__isnull=False).exists()
    )
    assert delivered, "the worker did not deliver the event (see test-artifacts/workers/)"
    assert DomainEvent.objects.get(pk=event.pk).attempts == 1


def test_healthz_reports_redis_as_the_broker(
    require_postgres: None, require_redis: str, client: Any
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "redis"
    assert response.json()["database"] == "postgresql"
