"""Helpers for tests against real worker processes, Redis and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from gigcx.celery import app
from tests.conftest import port_open, require

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "test-artifacts" / "workers"


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_worker(
    redis_url: str,
    *,
    beat: bool = False,
    concurrency: int = 1,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """A Celery worker (or beat) process on the test database and the given Redis.

    ``env`` adds variables (failpoints, short timeouts); the process's log file is
    ``log_of(process)``.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gigcx.settings",
        "DJANGO_SECRET_KEY": "worker-test-" + "s" * 40,
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url(),  # the test database pytest-django created
        "REDIS_URL": redis_url,
        "DATABASE_CONN_MAX_AGE": "0",
        **(env or {}),
    }
    if beat:
        command = ["beat", "-l", "INFO", "--pidfile=", "-s", os.devnull]
    else:
        command = [
            "worker",
            "-Q",
            "routing,payments,default",
            "-c",
            str(concurrency),
            "-l",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / f"{'beat' if beat else 'worker'}-{time.monotonic_ns()}.log"
    # A file, not a pipe: nobody reads a pipe during the test and a full one blocks the worker.
    log = open(path, "w")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "gigcx", *command],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    _logs[process.pid] = path
    return process


_logs: dict[int, Path] = {}


def log_of(process: subprocess.Popen[str]) -> str:
    path = _logs.get(process.pid)
    return path.read_text(errors="replace") if path and path.exists() else ""


def wait_until_ready(process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Until the worker says it consumes (Celery logs "ready." once connected)."""
    assert wait_for(lambda: " ready." in log_of(process), timeout), (
        f"the worker did not start:\n{log_of(process)[-3000:]}"
    )


def stop(process: subprocess.Popen[str], *, timeout: float = 20.0) -> None:
    """Warm shutdown (SIGTERM to the process group); SIGKILL if it does not end in time."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A redis-server of the test's own, on a free port in a temporary folder, so a test may
    kill, restart or flush it (never the shared one). AOF on with fsync at every write: a
    restart keeps every queued and unacknowledged message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--maxmemory-policy",
                "noeviction",
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            start_new_session=True,
        )
        assert wait_for(lambda: port_open("127.0.0.1", self.port), timeout=10), (
            "redis-server did not start"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown save, clients see the connection drop."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A private redis-server; the test process publishes its tasks there too."""
    require(shutil.which("redis-server") is not None, "redis-server (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    previous = app.conf.broker_url
    eager = app.conf.task_always_eager
    _point_publisher_at(server.url)
    app.conf.task_always_eager = False
    try:
        yield server
    finally:
        app.conf.task_always_eager = eager
        _point_publisher_at(previous)
        server.kill()


def _point_publisher_at(url: str) -> None:
    """Make this process publish to ``url``: kombu keeps one connection pool per URL."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
