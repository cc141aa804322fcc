"""Real concurrency on PostgreSQL for the earnings batch: the same burst of resolutions booked
by many batches at once, and every event of the burst delivered at once, book each earning
exactly once, with balanced entries and balances equal to their postings."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from gigcx.events import event_deliver
from gigcx.models import DomainEvent, EventDelivery
from payments.models import Earning
from payments.services import earnings_book_batch
from routing.models import Question
from tests.payments.burst import Burst, burst_world
from tests.payments.test_earnings_batch import (
    assert_books_balance,
    assert_each_booked_once,
    resolutions,
)
from tests.races.test_accept_races import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("held_tasks"),
]


@pytest.fixture
def burst(require_postgres: None, cast: Any, rate_card: Any) -> Burst:
    return burst_world(cast)


def book(batch: list[tuple[int, int | None]]) -> int:
    """One worker's batch, in its own durable transaction (what a task would run)."""
    with transaction.atomic(durable=True):
        return len(earnings_book_batch(resolutions=batch))


def test_eight_batches_of_the_same_50_resolutions_at_once_book_each_once(burst: Burst) -> None:
    # given: 50 resolutions; each batch holds all of them, half in the opposite order
    questions = burst.resolve(50)
    batch = resolutions(questions)

    # when: eight workers book them at the same instant
    booked = run_together([lambda n=n: book(batch if n % 2 else batch[::-1]) for n in range(8)])

    # then: between them they booked 50, each once (the claim let one batch through per
    # question; the others waited for its commit and skipped it, without deadlocking)
    assert sum(booked) == 50
    assert_each_booked_once(questions)
    assert_books_balance()


def test_overlapping_batches_at_once_book_each_once(burst: Burst) -> None:
    # given: 40 resolutions, booked by batches of 20 that overlap by 10
    questions = burst.resolve(40)
    batch = resolutions(questions)
    slices = [batch[0:20], batch[10:30], batch[20:40], batch[5:35][::-1], batch[::-1]]

    # when
    booked = run_together([lambda s=s: book(s) for s in slices])

    # then
    assert sum(booked) == 40
    assert_each_booked_once(questions)
    assert_books_balance()


def test_every_event_of_a_burst_delivered_at_once_books_each_earning_once(burst: Burst) -> None:
    # given: 30 resolutions, their events undelivered
    questions: list[Question] = burst.resolve(30)
    events = [
        str(pk)
        for pk in DomainEvent.objects.filter(name="question.resolved").values_list("pk", flat=True)
    ]
    assert len(events) == 30

    # when: every event is delivered at the same instant, twice (a redelivery racing the
    # first), each delivery's subscriber batching whatever is still waiting
    run_together([lambda e=e: event_deliver(event_id=e) for e in events * 2])

    # then
    assert Earning.objects.count() == 30
    assert_each_booked_once(questions)
    assert_books_balance()
    assert EventDelivery.objects.filter(subscriber="payments.book_earning").count() == 30
    assert not DomainEvent.objects.filter(name="question.resolved", delivered_at=None).exists()
