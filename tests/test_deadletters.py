"""Bounded redelivery and the dead-letter table (RELIABILITY 29-30), without a broker.

The worker-level proof (a task that kills its worker child every time) is in
tests/integration/test_celery_faults.py; here each rule is pinned on its own.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gigcx import deadletters
from gigcx.celery import app
from gigcx.models import AuditEvent, DeadLetter, DomainEvent, TaskAttempt
from gigcx.tasks import deliver_event, prune_task_attempts, sweep_outbox
from routing.tasks import route_question

pytestmark = pytest.mark.django_db

OUR_APPS = {"gigcx", "marketplace", "routing", "payments", "quality"}


@pytest.fixture(autouse=True)
def _counts_in_the_database(settings: Any) -> None:
    """These tests read the counts as rows; the same rules with the counts in Redis are
    pinned in tests/test_delivery_counter_redis.py."""
    settings.GIGCX_TASK_DELIVERY_COUNTER = "database"


def deliver(task: Any, *args: Any, task_id: str = "t-1", retries: int = 0) -> None:
    """Run the task as a worker does for a message from the broker."""
    task.push_request(
        id=task_id, called_directly=False, retries=retries, delivery_info={"routing_key": "x"}
    )
    try:
        task(*args)
    finally:
        task.pop_request()


@pytest.fixture
def bodies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """deliver_event's body, recorded instead of run."""
    ran: list[str] = []
    monkeypatch.setattr("gigcx.tasks.event_deliver", lambda *, event_id: ran.append(event_id))
    return ran


def test_the_counter_follows_the_broker(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:6379/3")
    settings.GIGCX_TASK_DELIVERY_COUNTER = ""
    assert isinstance(deadletters.delivery_counter(), deadletters.RedisDeliveryCounter)
    # one counter (and so one connection pool) per process and URL
    assert deadletters.delivery_counter() is deadletters.delivery_counter()
    # counted in PostgreSQL when asked to, and with any other broker
    settings.GIGCX_TASK_DELIVERY_COUNTER = "database"
    assert isinstance(deadletters.delivery_counter(), deadletters.DatabaseDeliveryCounter)
    settings.GIGCX_TASK_DELIVERY_COUNTER = ""
    monkeypatch.setattr(app.conf, "broker_url", "sqlite-broker://")
    assert isinstance(deadletters.delivery_counter(), deadletters.DatabaseDeliveryCounter)


def test_every_project_task_counts_its_deliveries() -> None:
    app.loader.import_default_modules()
    ours = [t for n, t in app.tasks.items() if n.split(".")[0] in OUR_APPS]
    assert ours
    assert all(isinstance(t, deadletters.GigcxTask) for t in ours)
    assert hasattr(route_question, "delay_on_commit")


def test_a_delivery_that_finishes_leaves_no_count(bodies: list[str]) -> None:
    deliver(deliver_event, "e-1")
    assert bodies == ["e-1"]
    assert not TaskAttempt.objects.exists()


def test_after_n_unfinished_deliveries_the_body_is_not_run_but_dead_lettered(
    bodies: list[str], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given: three deliveries of one message that never finished (the worker died in them)
    settings.GIGCX_TASK_MAX_DELIVERIES = 3
    TaskAttempt.objects.create(task_id="t-1", name="gigcx.deliver_event", attempts=3)

    # when: it is delivered a fourth time, and then once more
    with caplog.at_level(logging.ERROR, logger="gigcx.deadletters"):
        deliver(deliver_event, "e-1")
        deliver(deliver_event, "e-1")

    # then: the body did not run; one open dead letter says why; an ERROR was logged
    assert bodies == []
    letter = DeadLetter.objects.get()
    assert (letter.task_id, letter.name, letter.args, letter.reason, letter.attempts) == (
        "t-1",
        "gigcx.deliver_event",
        ["e-1"],
        "poison",
        3,
    )
    assert "dead-lettered (poison)" in caplog.text


def test_an_autoretry_is_a_new_message_whose_count_starts_over(settings: Any) -> None:
    settings.GIGCX_TASK_MAX_DELIVERIES = 2
    admit = deadletters.task_delivery_admit
    kwargs: dict[str, Any] = {"task_id": "t-9", "name": "routing.route_question", "args": [1]}
    assert admit(retries=0, kwargs={}, **kwargs)
    assert admit(retries=0, kwargs={}, **kwargs)
    assert admit(retries=1, kwargs={}, **kwargs)  # the retry, not a third delivery
    assert TaskAttempt.objects.get(task_id="t-9").attempts == 1
    assert not DeadLetter.objects.exists()


def test_a_task_that_fails_for_good_is_dead_lettered_with_its_error() -> None:
    # given: route_question raised after its last autoretry, in a worker
    TaskAttempt.objects.create(task_id="t-5", name="routing.route_question", retries=5)
    route_question.push_request(id="t-5", called_directly=False, retries=5)
    try:
        # when: Celery calls the failure hook
        route_question.on_failure(OSError("database gone"), "t-5", [42], {}, None)
    finally:
        route_question.pop_request()

    # then
    letter = DeadLetter.objects.get()
    assert (letter.name, letter.args, letter.reason, letter.attempts) == (
        "routing.route_question",
        [42],
        "failed",
        6,
    )
    assert letter.last_error == "OSError: database gone"
    assert not TaskAttempt.objects.exists()


def test_eager_runs_and_direct_calls_are_not_counted_or_dead_lettered(bodies: list[str]) -> None:
    deliver_event("e-2")
    deliver_event.apply(args=["e-3"])
    route_question.on_failure(OSError("eager"), "t-6", [1], {}, None)
    assert bodies == ["e-2", "e-3"]
    assert not TaskAttempt.objects.exists()
    assert not DeadLetter.objects.exists()


@pytest.fixture
def letter() -> DeadLetter:
    return DeadLetter.objects.create(
        task_id="t-7",
        name="routing.triage_question",
        args=[42],
        reason="poison",
        attempts=5,
        last_error="Delivered 5 times without finishing (worker killed or hung).",
    )


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    published: list[tuple[Any, ...]] = []

    def send_task(name: str, args: Any, kwargs: Any, task_id: str) -> None:
        published.append((name, args, kwargs, task_id))

    monkeypatch.setattr(app, "send_task", send_task)
    return published


def test_the_command_lists_open_dead_letters(letter: DeadLetter, capsys: Any) -> None:
    call_command("deadletters")
    out = capsys.readouterr().out
    assert f"{letter.pk}  " in out
    assert "routing.triage_question([42], {})" in out
    assert "1 dead letter(s)." in out


def test_retry_enqueues_it_again_under_a_new_id_and_closes_it(
    letter: DeadLetter, sent: list[tuple[Any, ...]], django_capture_on_commit_callbacks: Any
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True):
        call_command("deadletters", "--retry", str(letter.pk))

    # then: published after commit, with a fresh id (so a fresh delivery count)
    [(name, args, kwargs, task_id)] = sent
    assert (name, args, kwargs) == ("routing.triage_question", [42], {})
    assert task_id != letter.task_id
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert letter.resolution == f"retried as {task_id}"
    assert AuditEvent.objects.filter(action="dead_letter.retried").count() == 1
    # a closed letter cannot be retried twice
    with pytest.raises(CommandError, match="No such open dead letter"):
        call_command("deadletters", "--retry", str(letter.pk))


def test_discard_closes_it_without_running_it(
    letter: DeadLetter, sent: list[tuple[Any, ...]]
) -> None:
    call_command("deadletters", "--discard", str(letter.pk))
    letter.refresh_from_db()
    assert letter.resolution == "discarded"
    assert sent == []


def test_site_admins_retry_from_the_admin(
    letter: DeadLetter,
    sent: list[tuple[Any, ...]],
    admin_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: the list shows the dead letter
    assert "routing.triage_question" in admin_client.get("/admin/gigcx/deadletter/").text

    # when: the retry action runs on it
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/gigcx/deadletter/", {"action": "retry", "_selected_action": [letter.pk]}
        )

    # then
    assert response.status_code == 302
    assert [name for name, *_ in sent] == ["routing.triage_question"]
    letter.refresh_from_db()
    assert letter.resolved_at is not None


def test_the_outbox_sweeper_skips_an_event_out_of_attempts_and_dead_letters_it_once(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given: two lost events; the first crashed its worker on each of its 3 deliveries
    settings.GIGCX_TASK_MAX_DELIVERIES = 3
    poison = DomainEvent.objects.create(name="test.poison", attempts=3)
    lost = DomainEvent.objects.create(name="test.lost")
    DomainEvent.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    # when: the sweeper runs twice
    with caplog.at_level(logging.ERROR, logger="gigcx.deadletters"):
        sweep_outbox()
        sweep_outbox()

    # then: the event behind the poison is delivered; the poison is not tried again but
    # handed to operators, once
    lost.refresh_from_db()
    poison.refresh_from_db()
    assert lost.delivered_at is not None
    assert (poison.delivered_at, poison.attempts) == (None, 3)
    letter = DeadLetter.objects.get()
    assert (letter.task_id, letter.name, letter.args, letter.reason) == (
        f"outbox:{poison.pk}",
        "gigcx.deliver_event",
        [str(poison.pk)],
        "poison",
    )
    assert caplog.text.count("dead-lettered") == 1


def test_counts_of_messages_not_seen_for_a_day_are_pruned() -> None:
    TaskAttempt.objects.create(task_id="lost", name="routing.triage_question", attempts=1)
    TaskAttempt.objects.create(task_id="live", name="routing.triage_question", attempts=1)
    TaskAttempt.objects.filter(task_id="lost").update(last_seen=timezone.now() - timedelta(days=2))
    assert prune_task_attempts() == 1
    assert list(TaskAttempt.objects.values_list("task_id", flat=True)) == ["live"]


def test_a_message_of_the_embedded_broker_is_counted_on_its_own_row(
    bodies: list[str], settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery._state import _task_stack

    from tests.broker_probe import connect

    # given: the embedded broker, and a message whose runs never finished twice (its worker
    # died in them: the claim was given back each time)
    settings.GIGCX_TASK_MAX_DELIVERIES = 2
    settings.GIGCX_TASK_DELIVERY_COUNTER = ""  # count where the broker is
    path = str(tmp_path / "broker.sqlite3")
    monkeypatch.setitem(app.conf, "broker_url", "sqlite-broker://")
    monkeypatch.setitem(app.conf, "broker_transport_options", {"path": path})

    def run_once(conn: Any) -> None:
        message = conn.SimpleQueue("default").get(timeout=1)
        deliver_event.push_request(
            id="t-7",
            called_directly=False,
            retries=0,
            properties={"delivery_tag": message.delivery_tag},
        )
        _task_stack.push(deliver_event)
        try:
            deliver_event("e-7")
        finally:
            _task_stack.pop()
            deliver_event.pop_request()
        message.requeue()

    with connect(path) as conn:
        conn.SimpleQueue("default").put({"task": "gigcx.deliver_event"})
        run_once(conn)
        run_once(conn)

        # when: it is delivered a third time
        run_once(conn)

        # then: the body ran twice, not the third time; the count lived in the broker's file
        # (no row in the application database), and the message is a dead letter
        assert bodies == ["e-7", "e-7"]
        assert not TaskAttempt.objects.exists()
        letter = DeadLetter.objects.get()
        assert (letter.task_id, letter.reason, letter.attempts) == ("t-7", "poison", 2)


def test_a_broker_file_made_before_the_delivery_counter_gains_its_column(tmp_path: Any) -> None:
    import sqlite3

    from gigcx.broker import store_for

    path = tmp_path / "broker.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE message (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,"
            " priority INTEGER NOT NULL DEFAULT 0, visible_at REAL NOT NULL, claimed_by TEXT,"
            " deliveries INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL)"
        )
        old.execute("INSERT INTO message (queue, visible_at, payload) VALUES ('default', 0, '{}')")

    db = store_for(str(path)).db()

    assert "started" in {row[1] for row in db.execute("PRAGMA table_info(message)")}
    assert db.execute("SELECT started FROM message").fetchall() == [(0,)]
