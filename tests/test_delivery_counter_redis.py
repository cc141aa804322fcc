"""Delivery counts kept in the broker's Redis (gigcx.deadletters.RedisDeliveryCounter): the
rules of tests/test_deadletters.py with the counter a Redis broker gets. The dead letters
stay rows in PostgreSQL. The worker-level proof runs on a Redis broker too
(tests/integration/test_celery_faults.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from gigcx import deadletters
from gigcx.celery import app
from gigcx.models import DeadLetter, TaskAttempt
from gigcx.tasks import deliver_event
from routing.tasks import route_question
from tests.test_deadletters import deliver

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """The worker child died in the body: nothing after it in the process runs."""


@pytest.fixture
def counts(require_redis: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test process's broker is this Redis; its delivery counts, cleared around the test."""
    monkeypatch.setattr(app.conf, "broker_url", require_redis)
    settings.GIGCX_TASK_DELIVERY_COUNTER = ""
    client = redis.Redis.from_url(require_redis)

    def clear() -> None:
        for key in client.scan_iter(f"{deadletters.RedisDeliveryCounter.PREFIX}:*"):
            client.delete(key)

    clear()
    yield client
    clear()


def count_of(client: Any, name: str, task_id: str, retries: int = 0) -> int:
    key = deadletters.RedisDeliveryCounter.key(task_id=task_id, name=name, retries=retries)
    value = client.get(key)
    return int(value) if value is not None else 0


@pytest.fixture
def bodies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran: list[str] = []
    monkeypatch.setattr("gigcx.tasks.event_deliver", lambda *, event_id: ran.append(event_id))
    return ran


def test_a_redis_broker_gets_the_redis_counter(counts: Any) -> None:
    assert isinstance(deadletters.delivery_counter(), deadletters.RedisDeliveryCounter)


def test_a_delivery_that_finishes_leaves_no_count(counts: Any, bodies: list[str]) -> None:
    deliver(deliver_event, "e-1", task_id="t-1")
    assert bodies == ["e-1"]
    assert list(counts.scan_iter(f"{deadletters.RedisDeliveryCounter.PREFIX}:*")) == []
    assert not TaskAttempt.objects.exists()  # nothing was counted in PostgreSQL


def test_a_message_that_kills_its_worker_is_dead_lettered_after_the_limit(
    counts: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a message whose body kills the worker child every time, at most 3 deliveries
    settings.GIGCX_TASK_MAX_DELIVERIES = 3
    ran: list[str] = []

    def crash(*, event_id: str) -> None:
        ran.append(event_id)
        raise WorkerKilled

    monkeypatch.setattr("gigcx.tasks.event_deliver", crash)

    # when: it is delivered three times, each time dying in the body
    for _ in range(3):
        with pytest.raises(WorkerKilled):
            deliver(deliver_event, "e-1", task_id="t-1")
    assert count_of(counts, "gigcx.deliver_event", "t-1") == 3
    # and a fourth and a fifth time
    with caplog.at_level(logging.ERROR, logger="gigcx.deadletters"):
        deliver(deliver_event, "e-1", task_id="t-1")
        deliver(deliver_event, "e-1", task_id="t-1")

    # then: the body ran three times; one open dead letter in PostgreSQL says why
    assert ran == ["e-1"] * 3
    letter = DeadLetter.objects.get()
    assert (letter.task_id, letter.name, letter.args, letter.reason, letter.attempts) == (
        "t-1",
        "gigcx.deliver_event",
        ["e-1"],
        "poison",
        3,
    )
    assert "dead-lettered (poison)" in caplog.text
    # the count expires by itself (a day), like the database's pruned rows
    key = deadletters.RedisDeliveryCounter.key(task_id="t-1", name="gigcx.deliver_event", retries=0)
    assert 0 < counts.ttl(key) <= deadletters.DELIVERY_COUNT_KEEP.total_seconds()


def test_an_autoretry_is_a_new_message_whose_count_starts_over(counts: Any, settings: Any) -> None:
    settings.GIGCX_TASK_MAX_DELIVERIES = 2
    admit = deadletters.task_delivery_admit
    kwargs: dict[str, Any] = {"task_id": "t-9", "name": "routing.route_question", "args": [1]}
    assert admit(retries=0, kwargs={}, **kwargs)
    assert admit(retries=0, kwargs={}, **kwargs)
    assert admit(retries=1, kwargs={}, **kwargs)  # the retry, not a third delivery
    assert count_of(counts, "routing.route_question", "t-9", retries=1) == 1
    # the message it replaced raised (so was never cleared): its count goes with it
    assert count_of(counts, "routing.route_question", "t-9", retries=0) == 0
    assert not DeadLetter.objects.exists()


def test_a_task_that_fails_for_good_is_dead_lettered_and_its_count_cleared(counts: Any) -> None:
    # given: the last autoretry of route_question was counted, then raised
    assert deadletters.task_delivery_admit(
        task_id="t-5", name="routing.route_question", retries=5, args=[42], kwargs={}
    )
    route_question.push_request(id="t-5", called_directly=False, retries=5)
    try:
        route_question.on_failure(OSError("database gone"), "t-5", [42], {}, None)
    finally:
        route_question.pop_request()

    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.attempts, letter.last_error) == (
        "failed",
        6,
        "OSError: database gone",
    )
    assert count_of(counts, "routing.route_question", "t-5", retries=5) == 0


def test_with_redis_unreachable_the_delivery_is_admitted_uncounted(
    counts: Any,
    bodies: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: the broker's Redis refuses connections (nobody listens on port 1)
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")

    # when: a message is delivered (the worker got it before Redis went away)
    with caplog.at_level(logging.WARNING, logger="gigcx.deadletters"):
        deliver(deliver_event, "e-1", task_id="t-1")

    # then: the body ran; what could not be counted is logged, nothing else happened
    assert bodies == ["e-1"]
    assert "delivery not counted (Redis: ConnectionError)" in caplog.text
    assert "delivery count not cleared" in caplog.text
    assert not DeadLetter.objects.exists()
    assert not TaskAttempt.objects.exists()
