"""Domain events: recorded with the change, delivered after commit, exactly once per subscriber."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from gigcx import events
from gigcx.models import DomainEvent, EventDelivery
from gigcx.tasks import sweep_outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def received() -> Iterator[list[str]]:
    seen: list[str] = []
    saved = dict(events._subscribers)
    events.subscribe("test.happened", name="test.recorder")(lambda e: seen.append(str(e.pk)))
    yield seen
    events._subscribers.clear()
    events._subscribers.update(saved)


def test_delivery_waits_for_commit(
    received: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = events.event_record(name="test.happened", payload={"question_id": 7})
        assert received == []  # nothing before COMMIT
    assert len(callbacks) == 1
    assert received == [str(event.pk)]
    event.refresh_from_db()
    assert event.delivered_at is not None


def test_a_rolled_back_change_sends_nothing(
    received: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                events.event_record(name="test.happened", payload={})
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert received == []
    assert DomainEvent.objects.count() == 0


def test_redelivery_runs_each_subscriber_once(received: list[str]) -> None:
    event = DomainEvent.objects.create(name="test.happened", payload={})
    events.event_deliver(event_id=str(event.pk))
    DomainEvent.objects.filter(pk=event.pk).update(delivered_at=None)  # as if the mark was lost
    events.event_deliver(event_id=str(event.pk))
    assert received == [str(event.pk)]
    assert EventDelivery.objects.filter(event=event).count() == 1


def test_the_sweeper_delivers_what_a_dead_worker_left_behind(received: list[str]) -> None:
    # given: an event committed a minute ago whose delivery task was lost
    old = DomainEvent.objects.create(name="test.happened", payload={})
    DomainEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    fresh = DomainEvent.objects.create(name="test.happened", payload={})  # its task may still come

    assert sweep_outbox.apply().get() == 1
    assert received == [str(old.pk)]
    fresh.refresh_from_db()
    assert fresh.delivered_at is None


def test_a_failing_subscriber_is_retried_without_repeating_the_others() -> None:
    calls: list[str] = []
    saved = dict(events._subscribers)
    attempts = {"n": 0}

    def flaky(event: Any) -> None:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise ConnectionError("webhook endpoint down")
        calls.append("flaky")

    events.subscribe("test.flaky", name="test.steady")(lambda e: calls.append("steady"))
    events.subscribe("test.flaky", name="test.flaky")(flaky)
    try:
        event = DomainEvent.objects.create(name="test.flaky", payload={})
        assert events.event_deliver(event_id=str(event.pk)) is False
        event.refresh_from_db()
        assert "webhook endpoint down" in event.last_error
        assert events.event_deliver(event_id=str(event.pk)) is True
    finally:
        events._subscribers.clear()
        events._subscribers.update(saved)
    assert calls == ["steady", "flaky"]


def test_an_integrity_error_of_the_subscribers_own_is_a_failure_not_a_delivery() -> None:
    from django.db import IntegrityError

    saved = dict(events._subscribers)
    calls: list[str] = []

    def clashing(event: Any) -> None:
        calls.append("clashing")
        raise IntegrityError('duplicate key value violates unique constraint "some_other"')

    events.subscribe("test.clash", name="test.clashing")(clashing)
    try:
        event = DomainEvent.objects.create(name="test.clash", payload={})
        assert events.event_deliver(event_id=str(event.pk)) is False
        event.refresh_from_db()
        assert event.delivered_at is None  # left for the sweeper, not marked delivered
        assert "some_other" in event.last_error
        assert not EventDelivery.objects.filter(event=event).exists()  # the claim rolled back
        # the next try runs it again (it was never delivered)
        assert events.event_deliver(event_id=str(event.pk)) is False
    finally:
        events._subscribers.clear()
        events._subscribers.update(saved)
    assert calls == ["clashing", "clashing"]


def test_a_claim_lost_to_an_earlier_delivery_is_still_skipped(received: list[str]) -> None:
    event = DomainEvent.objects.create(name="test.happened", payload={})
    EventDelivery.objects.create(event=event, subscriber="test.recorder")  # another worker

    assert events.event_deliver(event_id=str(event.pk)) is True
    assert received == []


def test_an_asked_question_publishes_one_message_and_triage_delivers_its_event(
    cast: Any, api: Any, held_tasks: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    from routing.models import Question
    from routing.tasks import triage_question

    # when: a customer asks
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/brands/acme/questions",
            {"body": "Is the Ridgeline 2P free-standing?", "contact_email": "w@example.com"},
            format="json",
        )
    assert response.status_code == 201, response.content
    question = Question.objects.get(pk=response.json()["id"])
    asked = DomainEvent.objects.get(name="question.asked", payload__question_id=question.pk)

    # then: one message for triage and the event (the mail task runs while tasks are held)
    assert held_tasks == [("routing.triage_question", (question.pk, str(asked.pk)))]
    assert asked.delivered_at is None
    # and the triage task delivers the event before it triages
    triage_question.run(*held_tasks[0][1])
    asked.refresh_from_db()
    question.refresh_from_db()
    assert asked.delivered_at is not None
    assert question.status != Question.Status.NEW


def test_an_event_triage_could_not_deliver_is_left_to_the_sweeper(
    cast: Any, held_tasks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from routing import services
    from routing.models import Question
    from routing.tasks import triage_question

    question, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do the Trailblazer 2 fit wide feet?"
    )
    asked = DomainEvent.objects.get(name="question.asked", payload__question_id=question.pk)

    # given: delivery breaks (the database hiccups) when triage starts
    def broken(*, event_id: str) -> bool:
        raise RuntimeError("delivery failed")

    monkeypatch.setattr(events, "event_deliver", broken)
    # when: triage runs, it still triages the question
    triage_question.run(question.pk, str(asked.pk))
    question.refresh_from_db()
    assert question.status != Question.Status.NEW
    # and the event waits, undelivered, for the sweeper
    monkeypatch.undo()
    DomainEvent.objects.filter(pk=asked.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert sweep_outbox.apply().get() >= 1
    asked.refresh_from_db()
    assert asked.delivered_at is not None
