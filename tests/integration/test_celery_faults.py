"""Celery failure modes against real workers, a private Redis and PostgreSQL (RELIABILITY
24-31). Every test kills, restarts or floods something at the moment it hurts (failpoints in
the production code, gigcx/faults.py) and then asserts the end state in the database: each
question triaged and offered exactly once, each event delivered once per subscriber, a
poison message in the dead-letter table.

Timeouts are shortened through the environment of the worker processes only: a visibility
timeout of a few seconds (GIGCX_FAULT_TESTS lifts the 60 s minimum), a triage deadline of a
few seconds for the re-triage sweeper.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from gigcx import events
from gigcx.deadletters import RedisDeliveryCounter
from gigcx.models import DeadLetter, DomainEvent, EventDelivery, TaskAttempt
from payments.models import Earning
from routing import services as routing_services
from routing.models import Assignment, Question, RoutingSettings
from routing.services.presence import presence_heartbeat
from tests.integration.conftest import (
    PrivateRedis,
    log_of,
    start_worker,
    wait_for,
    wait_until_ready,
)
from tests.payments.test_earnings_batch import assert_books_balance, assert_each_booked_once

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TRIAGE_DEADLINE = 3  # seconds a question may stay `new` before the sweeper triages it again


@dataclass
class Faults:
    """Workers started with failpoints, and what the failpoints saw."""

    redis: PrivateRedis
    marker: Path
    keep_online: list[Any]
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def worker(
        self,
        failpoints: str = "",
        *,
        beat: bool = False,
        concurrency: int = 1,
        visibility: int = 600,
        ready: bool = True,
        **env: str,
    ) -> subprocess.Popen[str]:
        process = start_worker(
            self.redis.url,
            beat=beat,
            concurrency=concurrency,
            env={
                "GIGCX_FAULT_TESTS": "true",
                "CELERY_VISIBILITY_TIMEOUT": str(visibility),
                "GIGCX_FAILPOINTS": failpoints,
                "GIGCX_FAILPOINTS_FILE": str(self.marker),
                "GIGCX_TRIAGE_DEADLINE_SECONDS": str(TRIAGE_DEADLINE),
                **env,
            },
        )
        self.processes.append(process)
        if ready and not beat:
            wait_until_ready(process)
        return process

    def hits(self, name: str) -> list[tuple[int, str]]:
        """(pid, key) of every time a process reached the failpoint, in order."""
        if not self.marker.exists():
            return []
        lines = [line.split(" ", 2) for line in self.marker.read_text().splitlines()]
        return [(int(pid), key) for point, pid, key in lines if point == name]

    def wait_hit(self, name: str, count: int = 1, timeout: float = 30.0) -> tuple[int, str]:
        assert wait_for(lambda: len(self.hits(name)) >= count, timeout), (
            f"failpoint {name} not reached {count} time(s): {self.hits(name)}\n"
            + "\n".join(log_of(p)[-2000:] for p in self.processes)
        )
        return self.hits(name)[count - 1]

    def wait(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        """wait_for, keeping the online experts' heartbeats fresh (45 s) meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for user in self.keep_online:
                presence_heartbeat(user=user)
            if wait_for(condition, timeout=min(5.0, max(0.0, deadline - time.monotonic()))):
                return True
        return condition()

    def logs(self) -> str:
        return "\n".join(log_of(p)[-4000:] for p in self.processes)

    def delivery_counts(self, task_name: str = "*") -> dict[str, int]:
        """The delivery counts the workers keep (in the broker's Redis), by key."""
        client = self.redis.client()
        keys = client.keys(f"{RedisDeliveryCounter.PREFIX}:{task_name}:*")
        return {key.decode(): int(client.get(key) or 0) for key in keys}


@pytest.fixture
def faults(
    require_postgres: None, private_redis: PrivateRedis, tmp_path: Path, cast: Any, online: Any
) -> Iterator[Faults]:
    # ada is online, speaks English, knows the trail shoe, and may take many offers an hour
    RoutingSettings.objects.update_or_create(
        brand=cast.acme, defaults={"fairness_cap_per_hour": 1000, "offer_timeout_seconds": 600}
    )
    online(cast.ada)
    # Start from an empty broker: the set-up's own tasks (routing with no question) are not
    # under test, and a queued route_waiting would route every question in one task.
    private_redis.client().flushall()
    harness = Faults(private_redis, tmp_path / "failpoints.log", [cast.ada])
    yield harness
    for process in harness.processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def ask_new(cast: Any, n: int = 0) -> Question:
    """carol asks Acme about the trail shoe; triage (a task) decides what happens next."""
    question, _ = routing_services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body=f"Do the Trailblazer 2 run narrow? I have wide feet (question {n}).",
        product_id=cast.trail_shoe.pk,
    )
    return question


def routed(*questions: Question) -> bool:
    ids = [q.pk for q in questions]
    return Question.objects.filter(pk__in=ids, status=Question.Status.OFFERED).count() == len(ids)


def assert_triaged_and_offered_once(question: Question) -> None:
    question.refresh_from_db()
    assert question.status == Question.Status.OFFERED
    assert question.triage["path"] == "human"  # the triage decision was committed
    assert question.attempts == 1  # one routing decision made an offer
    assert Assignment.objects.filter(question=question).count() == 1
    # no duplicate side effect in the conversation (only the customer's own message)
    assert list(question.messages.values_list("role", flat=True)) == ["customer"]


# --- 24: a pool child SIGKILLed mid-task ------------------------------------------------


def test_a_pool_child_killed_inside_the_triage_transaction_is_redelivered_and_triages_once(
    faults: Faults, cast: Any
) -> None:
    # given: a worker whose triage stops once, inside its write transaction (lock held)
    faults.worker("triage.write=sleep:30@1")
    question = ask_new(cast)
    child, _ = faults.wait_hit("triage.write")

    # when: the pool child dies there (the OOM killer, a segfault)
    os.kill(child, signal.SIGKILL)

    # then: the uncommitted triage rolled back, the message came back (reject on worker
    # lost) and a new child triaged and routed the question, once
    assert faults.wait(lambda: routed(question), timeout=30), faults.logs()
    time.sleep(1)  # room for a late duplicate to show
    assert_triaged_and_offered_once(question)
    assert [pid for pid, _ in faults.hits("triage.write")][0] == child
    assert len(faults.hits("triage.write")) == 2  # the redelivery ran it again
    assert faults.delivery_counts("routing.triage_question") == {}  # every delivery finished
    assert not TaskAttempt.objects.exists()  # a Redis broker counts in Redis
    assert not DeadLetter.objects.exists()


def test_a_pool_child_killed_between_claiming_and_running_an_event_handler_delivers_it_once(
    faults: Faults, cast: Any
) -> None:
    # given: a worker whose event delivery stops once after claiming a subscriber's run
    faults.worker("event.claimed:question.escalated=sleep:30@1")
    question = ask_new(cast)
    with transaction.atomic():
        event = events.event_record(
            name="question.escalated",
            brand_id=cast.acme.pk,
            payload={"question_id": question.pk, "reason": "kill test"},
        )
    child, _ = faults.wait_hit("event.claimed:question.escalated")

    # when: the pool child dies there, the claim uncommitted
    os.kill(child, signal.SIGKILL)

    # then: the redelivered message runs each subscriber once and marks the event delivered
    assert faults.wait(
        lambda: DomainEvent.objects.filter(pk=event.pk, delivered_at__isnull=False).exists()
    ), faults.logs()
    names = {name for name, _ in events.subscribers_of("question.escalated")}
    ran = list(EventDelivery.objects.filter(event=event).values_list("subscriber", flat=True))
    assert sorted(ran) == sorted(names)
    assert DomainEvent.objects.get(pk=event.pk).attempts == 2
    # the killed claim, then one claim per subscriber on the redelivery
    assert len(faults.hits("event.claimed:question.escalated")) == 1 + len(names)


# --- 25: the whole worker node SIGKILLed mid-task ---------------------------------------


def test_a_question_whose_worker_died_mid_triage_is_triaged_by_the_sweeper_not_left_new(
    faults: Faults, cast: Any
) -> None:
    # given: a worker (visibility timeout 600 s) killed whole while triaging a question
    doomed = faults.worker("triage.write=sleep:60@1")
    question = ask_new(cast)
    faults.wait_hit("triage.write")
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    killed_at = time.monotonic()

    # when: a new worker and beat start; the message itself would only come back after
    # the visibility timeout (10 minutes), so only the database can bring the question back
    faults.worker()
    faults.worker(beat=True)

    # then: the sweeper finds it `new` past the triage deadline and triages it again
    assert faults.wait(lambda: routed(question), timeout=45), (
        f"question left {Question.objects.get(pk=question.pk).status}\n{faults.logs()}"
    )
    # start-up + triage deadline (3 s) + sweep interval (5 s), not the 600 s timeout
    assert time.monotonic() - killed_at < 45
    time.sleep(1)
    assert_triaged_and_offered_once(question)


# --- 26: Redis restarted mid-flight -----------------------------------------------------


def test_redis_killed_and_restarted_during_a_routing_decision_loses_and_duplicates_nothing(
    faults: Faults, cast: Any
) -> None:
    # given: a worker (visibility timeout 4 s) deciding where a question goes, lock held,
    # and beat, whose sweeper routes waiting questions
    worker = faults.worker("route.locked=sleep:6@1", visibility=4, concurrency=2)
    faults.worker(beat=True)
    interrupted = ask_new(cast, 1)
    faults.wait_hit("route.locked")

    # when: redis-server is SIGKILLed and comes back 3 s later from its append-only file
    faults.redis.kill()
    time.sleep(3)
    faults.redis.start()
    restarted_at = time.monotonic()
    with transaction.atomic():  # tasks enqueued after the restart
        event = events.event_record(
            name="question.escalated",
            brand_id=cast.acme.pk,
            payload={"question_id": interrupted.pk, "reason": "restart test"},
        )
    after = ask_new(cast, 2)

    # then: the worker reconnected and runs new work within seconds
    assert faults.wait(
        lambda: DomainEvent.objects.filter(pk=event.pk, delivered_at__isnull=False).exists(),
        timeout=10,
    ), faults.logs()
    assert time.monotonic() - restarted_at < 10
    assert faults.wait(lambda: routed(after), timeout=30), faults.logs()
    # the interrupted routing ends with exactly one offer (the first decision shares the
    # triage's transaction: the question is new or waiting again, and the redelivered
    # message or a sweeper triages and routes it)
    assert faults.wait(lambda: routed(interrupted), timeout=30), faults.logs()
    time.sleep(1)
    assert_triaged_and_offered_once(interrupted)
    assert_triaged_and_offered_once(after)
    names = {name for name, _ in events.subscribers_of("question.escalated")}
    assert EventDelivery.objects.filter(event=event).count() == len(names)
    assert worker.poll() is None  # the same worker survived the outage


# --- 27: Redis data lost entirely -------------------------------------------------------


def test_a_flushed_broker_loses_nothing_the_database_knows_about(
    faults: Faults, cast: Any, ask: Any
) -> None:
    # given: with no worker running, 25 questions waiting for triage, 25 waiting for an
    # expert, and 50 outbox events, all queued in Redis (carol asks them all: her daily
    # quota, 50 by default, is raised for the test)
    cast.acme.questions_per_customer_per_day = 1000
    cast.acme.save(update_fields=["questions_per_customer_per_day"])
    fresh = [ask_new(cast, n) for n in range(25)]
    waiting = [ask(f"Do the Trailblazer 2 run narrow? Waiting question {n}.") for n in range(25)]
    with transaction.atomic():
        for question in fresh + waiting:
            events.event_record(
                name="question.escalated",
                brand_id=cast.acme.pk,
                payload={"question_id": question.pk, "reason": "flush test"},
            )
    assert faults.redis.client().llen("routing") >= 75  # triage + routing messages

    # when: Redis loses every key
    faults.redis.client().flushall()
    # the events are older than the outbox sweeper's 30 s grace by now (as if beat came late)
    DomainEvent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    time.sleep(TRIAGE_DEADLINE)
    faults.worker(concurrency=2)
    faults.worker(beat=True)

    # then: the state machines in PostgreSQL and the sweepers redo all of it, once
    everything = fresh + waiting
    assert faults.wait(
        lambda: (
            routed(*everything)
            and not DomainEvent.objects.filter(delivered_at__isnull=True).exists()
        ),
        timeout=90,
    ), (
        f"{Question.objects.exclude(status='offered').count()} questions not offered, "
        f"{DomainEvent.objects.filter(delivered_at__isnull=True).count()} events undelivered\n"
        + faults.logs()
    )
    time.sleep(2)
    for question in fresh:
        assert_triaged_and_offered_once(question)
    for question in waiting:
        assert Assignment.objects.filter(question=question).count() == 1
    # one delivery per escalation and subscriber (the other events the questions produced
    # along the way, asked and offered, were delivered to their own subscribers too)
    escalated = EventDelivery.objects.filter(event__name="question.escalated")
    names = {name for name, _ in events.subscribers_of("question.escalated")}
    assert escalated.count() == 50 * len(names)
    assert set(escalated.values_list("subscriber", flat=True)) == names


# --- 28: a task that outlives the visibility timeout ------------------------------------


def test_a_triage_redelivered_while_still_running_finds_it_claimed_and_does_nothing(
    faults: Faults, cast: Any
) -> None:
    # given: two pool children, a visibility timeout of 3 s and a triage that holds the
    # question's lock for 9 s (in production the task time limit forbids this)
    faults.worker("triage.analysed=sleep:0,triage.write=sleep:9@1", visibility=3, concurrency=2)
    question = ask_new(cast)
    faults.wait_hit("triage.write")

    # when: Redis hands the unacknowledged message to the other child meanwhile
    assert faults.wait(
        lambda: max(faults.delivery_counts("routing.triage_question").values(), default=0) >= 2,
        timeout=20,
    ), faults.logs()
    assert Question.objects.get(pk=question.pk).status == Question.Status.NEW  # still running

    # then: the second copy waits for the lock, finds the question no longer new, and
    # leaves it alone: one triage, one offer
    assert faults.wait(lambda: routed(question), timeout=30), faults.logs()
    assert faults.wait(lambda: len(faults.hits("triage.analysed")) >= 2, timeout=10)
    time.sleep(2)
    assert_triaged_and_offered_once(question)
    assert len(faults.hits("triage.write")) == 1  # only the first copy wrote


# --- 30: poison messages are bounded ----------------------------------------------------


def test_a_task_that_kills_its_worker_every_time_is_dead_lettered_after_n_deliveries(
    faults: Faults, cast: Any
) -> None:
    # given: delivering events crashes the worker child every time; at most 3 deliveries
    worker = faults.worker("event.claimed:question.escalated=exit", GIGCX_TASK_MAX_DELIVERIES="3")

    # when: an event is recorded
    with transaction.atomic():
        poison = events.event_record(
            name="question.escalated",
            brand_id=cast.acme.pk,
            payload={"question_id": ask_new(cast).pk, "reason": "poison test"},
        )

    # then: after 3 crashes the message is not run again but dead-lettered, with an ERROR
    # (each crash costs a new pool child, which loads the text model: minutes on a loaded
    # machine, so the wait is generous; it ends as soon as the row exists)
    assert faults.wait(lambda: DeadLetter.objects.exists(), timeout=180), faults.logs()
    letter = DeadLetter.objects.get()
    assert (letter.name, letter.args, letter.reason) == (
        "gigcx.deliver_event",
        [str(poison.pk)],
        DeadLetter.Reason.POISON,
    )
    assert letter.attempts == 3
    assert letter.resolved_at is None
    poisoned = "event.claimed:question.escalated"
    assert len(faults.hits(poisoned)) == 3  # the body ran exactly 3 times
    assert "dead-lettered (poison)" in faults.logs()
    assert not EventDelivery.objects.filter(event=poison).exists()  # each crash rolled back

    # and the same worker goes on with other work: a new question is triaged and offered
    question = ask_new(cast, 2)
    assert faults.wait(lambda: routed(question)), faults.logs()
    assert worker.poll() is None
    time.sleep(1)
    assert len(faults.hits(poisoned)) == 3  # the poison did not come back
    assert DeadLetter.objects.count() == 1


def test_a_task_whose_retries_run_out_is_dead_lettered_with_its_error(
    faults: Faults, cast: Any, ask: Any
) -> None:
    # given: a question waiting for an expert, and routing that always hits a database error
    question = ask("Do the Trailblazer 2 run narrow? Retry question.")
    faults.worker("route.locked=error")

    # when: route_question retries it with backoff (autoretry_for=OperationalError) until
    # max_retries (5) runs out
    assert faults.wait(lambda: DeadLetter.objects.exists(), timeout=90), faults.logs()

    # then: the last failure is kept for an operator, with its error
    letter = DeadLetter.objects.get()
    assert (letter.name, letter.args, letter.reason, letter.attempts) == (
        "routing.route_question",
        [question.pk],
        DeadLetter.Reason.FAILED,
        6,
    )
    assert letter.last_error == "OperationalError: failpoint route.locked"
    assert len(faults.hits("route.locked")) == 6  # the first run and 5 retries
    assert not Assignment.objects.filter(question=question).exists()
    assert faults.delivery_counts("routing.route_question") == {}


# --- 31: deploy-style warm shutdown -----------------------------------------------------


def test_a_warm_shutdown_during_a_routing_decision_finishes_it_and_loses_nothing(
    faults: Faults, cast: Any, ask: Any
) -> None:
    # given: 12 questions waiting for an expert, and a worker whose first routing decision
    # takes 4 s with the question's lock held
    questions = [ask(f"Do the Trailblazer 2 run narrow? Deploy question {n}.") for n in range(12)]
    old = faults.worker("route.locked=sleep:4@1")
    _, in_flight = faults.wait_hit("route.locked")

    # when: the deploy sends SIGTERM to the worker (warm shutdown)
    old.send_signal(signal.SIGTERM)
    assert old.wait(timeout=30) == 0

    # then: the decision in flight was finished and committed before the worker exited,
    # it took nothing else, and nothing it had reserved is left unacknowledged in Redis
    assert "Warm shutdown" in log_of(old)
    assert routed(Question.objects.get(pk=int(in_flight)))
    assert [q.pk for q in questions if routed(q)] == [int(in_flight)]
    assert faults.redis.client().hlen("unacked") == 0
    # a new worker routes the rest; every question has exactly one offer
    faults.worker()
    assert faults.wait(lambda: routed(*questions), timeout=60), faults.logs()
    time.sleep(1)
    for question in questions:
        assert Assignment.objects.filter(question=question).count() == 1
        assert Question.objects.get(pk=question.pk).attempts == 1


# --- a pool child SIGKILLed inside the earnings batch's transaction ---------------------


def test_a_pool_child_killed_inside_the_earnings_batch_loses_nothing_and_books_nothing_twice(
    faults: Faults, cast: Any, ask: Any, rate_card: Any
) -> None:
    # given: five questions resolved by ada together, their events waiting in the broker, and
    # a worker whose first earnings batch stops once with every row written, nothing committed
    questions = []
    for n in range(5):
        question = ask(f"Do the Trailblazer 2 run narrow? Burst question {n}.")
        [offer] = routing_services.routing_offer_question(question_id=question.pk)
        routing_services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
        questions.append(routing_services.question_resolve(question_id=question.pk, actor=cast.ada))
    # (the child that replaces the killed one loads the text models: give it time to)
    faults.worker("earnings.batch.booked=sleep:30@1", CELERY_WORKER_PROC_ALIVE_TIMEOUT="60")
    child, first_batch = faults.wait_hit("earnings.batch.booked")
    assert sorted(map(int, first_batch.split(","))) == sorted(q.pk for q in questions)

    # when: the pool child dies there
    os.kill(child, signal.SIGKILL)

    # then: its batch rolled back whole, and the deliveries that followed booked each
    # earning once (a second batch reached the failpoint: the first had committed nothing)
    def all_delivered() -> bool:
        return not DomainEvent.objects.filter(
            name="question.resolved", delivered_at__isnull=True
        ).exists()

    assert faults.wait(all_delivered, timeout=60), faults.logs()
    assert Earning.objects.count() == 5
    assert_each_booked_once(questions)
    assert_books_balance()
    hits = faults.hits("earnings.batch.booked")
    assert len(hits) == 2
    assert hits[0][0] == child
    assert hits[1][0] != child
    assert EventDelivery.objects.filter(subscriber="payments.book_earning").count() == 5
