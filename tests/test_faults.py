"""Faults at the moment they hurt, in one process: a broker that is down when a write
commits, a task that never ran, a dependency that fails mid-request, a cache that is gone.

Worker processes killed mid-task, Redis restarted and flushed under a real worker are in
tests/integration; this file proves the pieces they rely on.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from gigcx.celery import app
from gigcx.db import retry_on_conflict
from routing import services, tasks
from routing.models import Assignment, Question
from tests.conftest import require

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def broker_down() -> Iterator[None]:
    """A real publish to a broker nobody listens on (connection refused)."""
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = None
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None


def _overdue(question: Question) -> None:
    Question.objects.filter(pk=question.pk).update(
        created_at=timezone.now() - timedelta(seconds=16)
    )


def test_a_question_saved_while_the_broker_is_down_is_201_and_the_sweeper_triages_it(
    cast: Any, api: Any, broker_down: None, online: Any
) -> None:
    # given: the broker refuses connections when carol's question commits
    response = api.post(
        "/api/v1/brands/acme/questions",
        {"body": "My Trailblazer 2 sole is peeling after a week", "contact_email": "c@x.example"},
        format="json",
    )

    # then: the question was saved, so the answer says so (never a 500 after COMMIT)
    assert response.status_code == 201, response.content
    question = Question.objects.get(pk=response.json()["id"])
    assert question.status == "new"

    # when: the sweeper runs before the deadline, it leaves the task its chance
    online(cast.ada)
    assert tasks.sweep()["triaged"] == 0
    # and once the question is past its triage deadline, the sweeper triages and routes it
    _overdue(question)
    app.conf.task_always_eager = True
    outcome = tasks.sweep()

    question.refresh_from_db()
    assert outcome["triaged"] == 1
    assert question.status == "offered"
    assert question.triage["path"] == "human"
    assert question.triage_attempts == 1
    assert Assignment.objects.filter(question=question, status="offered").count() == 1


def test_a_publish_that_fails_oddly_after_commit_is_still_a_201(
    cast: Any, api: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from celery.app.task import Task

    # given: just after a Redis restart kombu's producer fails with an AttributeError
    def torn_down(self: Task, *args: Any, **kwargs: Any) -> None:
        raise AttributeError("'NoneType' object has no attribute 'client'")

    monkeypatch.setattr(Task, "apply_async", torn_down)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/v1/brands/acme/questions",
                {"body": "Does the Ridgeline 2P need a footprint?", "contact_email": "e@x.example"},
                format="json",
            )
    finally:
        app.conf.task_always_eager = eager

    # then: the question was saved and the answer says so; the sweeper triages it later
    assert response.status_code == 201, response.content
    assert Question.objects.get(pk=response.json()["id"]).status == "new"


def test_a_question_whose_triage_keeps_failing_goes_to_people_unanalysed(
    cast: Any, held_tasks: list[Any], monkeypatch: pytest.MonkeyPatch, settings: Any, online: Any
) -> None:
    from routing import text

    settings.GIGCX_TRIAGE_MAX_ATTEMPTS = 2
    online(cast.grace)
    question, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="The tent pole snapped in the wind"
    )

    def broken(body: str) -> Any:
        raise RuntimeError("model file is corrupt")

    monkeypatch.setattr(text, "frustration", broken)
    _overdue(question)

    # two sweeps fail (logged, the sweep itself goes on), the third gives up on triage
    for _ in range(2):
        assert tasks.sweep()["triaged"] == 0
    assert Question.objects.get(pk=question.pk).status == "new"
    tasks.sweep()

    # and the question went to people, routed in the same run (no second task)
    question.refresh_from_db()
    assert question.status == "offered"
    assert question.triage_attempts == 3
    assert question.redacted_body  # experts still only ever see the redacted copy
    assert Assignment.objects.get(question=question).expert.user == cast.grace
    assert ("routing.route_question", (question.pk,)) not in held_tasks


@pytest.mark.django_db(transaction=True)
def test_a_database_lock_timeout_is_503_with_retry_after_and_nothing_changes(
    require_postgres: None, cast: Any, api_as: Any, ask: Any, online: Any, held_tasks: list[Any]
) -> None:
    # given: ada has an offer, and another transaction holds the question's row lock
    online(cast.ada)
    question = ask()
    services.routing_offer_question(question_id=question.pk)
    offer = Assignment.objects.get(question=question, status="offered")
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with transaction.atomic():
            Question.objects.select_for_update().get(pk=question.pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        # when ada accepts while the lock is held past the lock timeout
        response = api_as(cast.ada).post(f"/api/v1/offers/{offer.pk}/accept")
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")  # the connection goes back to the pool

    # then: 503, a Retry-After, the one error shape naming the part; nothing was written
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert "database" in error["message"]
    assert Assignment.objects.get(pk=offer.pk).status == "offered"


def test_a_dependency_failing_under_a_page_is_a_503_page(client: Any, monkeypatch: Any) -> None:
    import gigcx.views

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection to server at 127.0.0.1 refused")

    monkeypatch.setattr(gigcx.views, "render", down)
    client.raise_request_exception = False

    page = client.get("/")
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert b"Back in a moment" in page.content

    assert b'http-equiv="refresh"' in page.content  # a page that was read reloads itself

    sent = client.post("/")
    assert sent.status_code == 503
    assert b'http-equiv="refresh"' not in sent.content  # a form is never sent again by itself
    assert b"was not saved" in sent.content

    api_style = client.get("/", HTTP_ACCEPT="application/json")
    assert api_style.status_code == 503
    assert api_style.json()["error"]["code"] == "service_unavailable"


def test_an_unexpected_error_is_still_a_500(client: Any, monkeypatch: Any) -> None:
    import gigcx.views

    monkeypatch.setattr(gigcx.views, "render", lambda *a, **k: 1 / 0)
    client.raise_request_exception = False
    assert client.get("/").status_code == 500


def test_rate_limits_hold_per_process_while_the_cache_is_down(
    cast: Any, api: Any, held_tasks: list[Any], settings: Any, monkeypatch: Any
) -> None:
    from gigcx.throttling import ScopedRateThrottle

    # given: the shared cache is a Redis nobody listens on, and 3 questions a minute
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"questions": "3/min"})
    body = {"body": "Are the Trailblazer 2 waterproof?", "contact_email": "d@x.example"}

    answers = [
        api.post("/api/v1/brands/acme/questions", body, format="json").status_code for _ in range(4)
    ]

    # then: no 500 and no 503, and the limit still holds
    assert answers == [201, 201, 201, 429]
    assert Question.objects.count() == 3


def test_healthz_is_200_degraded_and_names_the_cache_when_it_is_down(
    client: Any, settings: Any
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["degraded"] == ["cache"]


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_victim_is_run_again_and_both_transactions_finish(
    require_postgres: None, cast: Any
) -> None:
    # given: two transactions that lock the same two rows in opposite orders
    from marketplace.models import Product

    first, second = list(Product.objects.order_by("pk").values_list("pk", flat=True)[:2])
    barrier = threading.Barrier(2, timeout=10)
    calls: list[str] = []
    errors: list[BaseException] = []

    @retry_on_conflict
    def lock_both(a: int, b: int, name: str) -> None:
        calls.append(name)
        with transaction.atomic():
            Product.objects.select_for_update().get(pk=a)
            if len(calls) <= 2:
                barrier.wait()  # both hold their first row before taking the second
            Product.objects.select_for_update().get(pk=b)
            Product.objects.filter(pk=b).update(name=f"{name} was here")

    def run(a: int, b: int, name: str) -> None:
        try:
            lock_both(a, b, name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(first, second, "one")),
        threading.Thread(target=run, args=(second, first, "two")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # then: PostgreSQL chose a victim, which ran again; both finished
    assert errors == []
    assert set(calls) == {"one", "two"}
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_inside_an_outer_transaction_is_not_retried_there() -> None:
    class Deadlock(Exception):
        sqlstate = "40P01"

    calls = []

    @retry_on_conflict
    def victim() -> None:
        calls.append(1)
        raise OperationalError("deadlock detected") from Deadlock()

    with pytest.raises(OperationalError), transaction.atomic():
        victim()
    assert calls == [1]

    calls.clear()
    with pytest.raises(OperationalError):
        victim()
    assert len(calls) == 4  # outside a transaction: retried, then given up


def test_one_process_never_holds_more_connections_than_its_pool_and_a_full_pool_is_503(
    require_postgres: None, transactional_db: Any
) -> None:
    from tests.integration.conftest import database_url

    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "tests" / "pool_probe.py")],
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": database_url(),
            "DATABASE_POOL_MAX_SIZE": "3",
            "DATABASE_POOL_TIMEOUT": "1",
            "DJANGO_SETTINGS_MODULE": "tests.settings_pool",
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    assert int(lines["backends"]) <= 3, result.stdout
    assert lines["while_full"] == "503", result.stdout
    assert lines["retry_after"] == "5", result.stdout
    assert lines["after"] == "200", result.stdout


def test_the_deploy_check_warns_when_redis_forgets_or_evicts(tmp_path: Path) -> None:
    import shutil

    from tests.test_config import PRODUCTION_ENV, _run_manage

    require(shutil.which("redis-server") is not None, "redis-server")
    port = _free_port()
    redis = subprocess.Popen(  # noqa: S603
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory-policy",
            "allkeys-lru",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        env = {**PRODUCTION_ENV, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        warned = _run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
        assert warned.returncode != 0
        assert "gigcx.W001" in warned.stderr + warned.stdout
        assert "gigcx.W002" in warned.stderr + warned.stdout

        subprocess.run(  # noqa: S603
            [
                shutil.which("redis-cli") or "redis-cli",
                "-p",
                str(port),
                "config",
                "set",
                "maxmemory-policy",
                "noeviction",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603
            [
                shutil.which("redis-cli") or "redis-cli",
                "-p",
                str(port),
                "config",
                "set",
                "appendonly",
                "yes",
            ],
            check=True,
            capture_output=True,
        )
        clean = _run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
        assert clean.returncode == 0, clean.stdout + clean.stderr
    finally:
        redis.kill()
        redis.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int) -> None:
    import time

    from tests.conftest import port_open

    deadline = time.monotonic() + 10
    while not port_open("127.0.0.1", port):
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)


def test_a_question_that_fails_to_route_does_not_stop_the_sweep(
    cast: Any, ask: Any, online: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from routing.services import offers

    # given: two waiting questions; routing the first one raises
    online(cast.ada)
    broken, fine = ask("First: the sole is loose"), ask("Second: the laces fray")
    real = offers.routing_offer_question

    def route(*, question_id: int) -> Any:
        if question_id == broken.pk:
            raise RuntimeError("a bug in routing")
        return real(question_id=question_id)

    monkeypatch.setattr(offers, "routing_offer_question", route)
    monkeypatch.setattr("routing.services.routing_offer_question", route)

    # when the sweeper runs
    outcome = tasks.sweep()

    # then the second question was still routed, and nothing is marked in flight
    assert outcome["routed"] == 1
    assert Question.objects.get(pk=fine.pk).status == "offered"
    assert Question.objects.get(pk=broken.pk).status == "waiting"
    from django.core.cache import cache

    assert cache.get(tasks.INFLIGHT_KEY) is None


def test_a_question_that_killed_two_sweeps_goes_to_staff(cast: Any, ask: Any) -> None:
    from django.core.cache import cache

    question = ask("This one crashes the router")
    # the last sweep died while routing this question (the mark was never cleared)
    cache.set(tasks.INFLIGHT_KEY, f"route:{question.pk}")
    tasks.sweep()
    question.refresh_from_db()
    assert question.status == "waiting"  # once may be a deploy or the OOM killer: a suspect

    cache.set(tasks.INFLIGHT_KEY, f"route:{question.pk}")  # and again, on the same question
    outcome = tasks.sweep()
    question.refresh_from_db()
    assert outcome["escalated after a crash"] == 1
    assert question.status == "escalated"
    assert "failed twice" in question.escalation_reason


def test_capacity_events_queue_one_route_waiting_run_not_one_each(
    cast: Any,
    held_tasks: list[tuple[str, tuple[Any, ...]]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Ten experts freed at once queue one run; once it starts, the next event queues again."""
    from routing.tasks import route_waiting, route_waiting_soon

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            route_waiting_soon()
    assert [name for name, _ in held_tasks] == ["routing.route_waiting"]

    route_waiting.run()  # the queued run starts: later events need a run of their own
    with django_capture_on_commit_callbacks(execute=True):
        route_waiting_soon()
        route_waiting_soon()
    assert [name for name, _ in held_tasks] == ["routing.route_waiting"] * 2


def test_a_run_that_could_not_be_queued_does_not_block_the_next(
    cast: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    import routing.tasks as tasks

    published: list[bool] = []
    outcomes = iter([False, True])  # the broker refuses the first publish
    monkeypatch.setattr(tasks, "enqueue", lambda task: published.append(True) or next(outcomes))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.route_waiting_soon()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.route_waiting_soon()
    assert len(published) == 2
