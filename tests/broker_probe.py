"""Processes for tests/test_embedded_broker.py: producers, consumers and a task for a worker.

Run as ``python -m tests.broker_probe <role> <broker file> ...``; each role talks to the
embedded broker through kombu only, so the tests need no database.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from queue import Empty

from celery import shared_task
from kombu import Connection

from gigcx import broker

broker.register()

QUEUE = "probe"


def connect(path: str, claim_seconds: float = 60) -> Connection:
    options = {"path": path, "polling_interval": 0.01, "visibility_timeout": claim_seconds}
    return Connection("sqlite-broker://", transport_options=options)


def produce(path: str, first: int, count: int) -> None:
    with connect(path) as conn:
        queue = conn.SimpleQueue(QUEUE)
        for n in range(first, first + count):
            queue.put({"n": n})


def consume(path: str, effects: str, idle_seconds: float) -> None:
    """Record every message in ``effects`` (one line each) before acking it; stop when idle."""
    with connect(path) as conn, open(effects, "a") as out:
        queue = conn.SimpleQueue(QUEUE)
        last = time.monotonic()
        while time.monotonic() - last < idle_seconds:
            try:
                message = queue.get(timeout=0.2)
            except Empty:
                continue
            out.write(f"{message.payload['n']}\n")
            out.flush()
            message.ack()
            last = time.monotonic()


def claim_and_hang(path: str, marker: str, claim_seconds: float) -> None:
    """Fetch one message, say so, then never ack it (the test kills us)."""
    with connect(path, claim_seconds) as conn:
        message = conn.SimpleQueue(QUEUE).get(timeout=10)
        Path(marker).write_text(str(message.payload["n"]))
        time.sleep(3600)


@shared_task(name="tests.broker_probe.touch")
def touch(path: str) -> None:
    """A task whose only effect is a file, so a worker needs no database to run it."""
    Path(path).write_text("done")


@shared_task(name="tests.broker_probe.slow_touch")
def slow_touch(path: str, seconds: float) -> None:
    """Record each start in ``path``, then finish ``seconds`` later in ``path.done``."""
    with open(path, "a") as runs:
        runs.write("started\n")
    time.sleep(seconds)
    Path(path + ".done").write_text("done")


@shared_task(name="tests.broker_probe.die")
def die(path: str) -> None:
    """Record the start in ``path``, then kill the pool child running it (a poison message)."""
    with open(path, "a") as runs:
        runs.write("started\n")
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "produce":
        produce(args[0], int(args[1]), int(args[2]))
    elif role == "consume":
        consume(args[0], args[1], float(args[2]))
    elif role == "claim-and-hang":
        claim_and_hang(args[0], args[1], float(args[2]))
    else:
        raise SystemExit(f"unknown role {role!r}")
