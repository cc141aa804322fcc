"""Helpers for tests against real worker processes, Redis and PostgreSQL."""

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

from gigcx.celery import app

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "test-artifacts" / "workers"


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_worker(redis_url: str, *, beat: bool = False) -> subprocess.Popen[str]:
    """A Celery worker (or beat) process on the test database and the given Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gigcx.settings",
        "DJANGO_SECRET_KEY": "worker-test-" + "s" * 40,
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url(),  # the test database pytest-django created
        "REDIS_URL": redis_url,
        "DATABASE_CONN_MAX_AGE": "0",
    }
    if beat:
        command = ["beat", "-l", "INFO", "--pidfile=", "-s", os.devnull]
    else:
        command = [
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
            f"test{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
    LOGS.mkdir(parents=True, exist_ok=True)
    # A file, not a pipe: nobody reads a pipe during the test and a full one blocks the worker.
    log = open(LOGS / f"{'beat' if beat else 'worker'}-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "gigcx", *command],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def worker(require_postgres: None, require_redis: str) -> Iterator[subprocess.Popen[str]]:
    process = start_worker(require_redis)
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
