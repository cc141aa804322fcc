"""The real thing: a Celery worker process, Redis as broker and PostgreSQL.

Eager mode hides ordering and redelivery bugs, so this path is exercised for real: the web
side commits, publishes after commit to Redis, and a separate worker process updates the
database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from gigcx import events
from gigcx.celery import app
from gigcx.models import DomainEvent

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def worker(require_postgres: None, require_redis: str) -> Iterator[subprocess.Popen[str]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gigcx.settings",
        "DJANGO_SECRET_KEY": "worker-test-" + "s" * 40,
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url(),  # the test database pytest-django created
        "REDIS_URL": require_redis,
        "DATABASE_CONN_MAX_AGE": "0",
    }
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gigcx",
            "worker",
            "-Q",
            "routing,payments,default",
            "-c",
            "1",
            "-l",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def real_broker() -> Iterator[None]:
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def wait_for(condition: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


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
    if not delivered:
        os.killpg(worker.pid, signal.SIGTERM)
        output = worker.communicate(timeout=20)[0]
        pytest.fail(f"worker did not deliver the event; its log:\n{output[-4000:]}")
    assert DomainEvent.objects.get(pk=event.pk).attempts == 1


def test_healthz_reports_redis_as_the_broker(
    require_postgres: None, require_redis: str, client: Any
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "redis"
    assert response.json()["database"] == "postgresql"
