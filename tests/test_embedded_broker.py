"""The embedded broker (gigcx/broker.py) between real processes.

Nothing here needs a service, so nothing skips, on a laptop or under CI=true.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

from tests.broker_probe import QUEUE, connect

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "test-artifacts" / "workers"


def probe(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our interpreter, our module
        [sys.executable, "-m", "tests.broker_probe", *args], cwd=ROOT
    )


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_concurrent_producers_and_consumers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    # given: three producers and three consumers on one broker file, all started together
    path = str(tmp_path / "broker.sqlite3")
    per_producer = 300
    effects = [tmp_path / f"effects-{n}.txt" for n in range(3)]
    consumers = [probe("consume", path, str(effect), "3") for effect in effects]
    producers = [probe("produce", path, str(n * per_producer), str(per_producer)) for n in range(3)]

    # when
    for process in producers + consumers:
        assert process.wait(timeout=120) == 0

    # then: every message had exactly one effect, and the queue is empty
    seen = Counter(
        int(line) for effect in effects if effect.exists() for line in effect.read_text().split()
    )
    assert sorted(seen) == list(range(3 * per_producer)), "lost messages"
    assert [n for n, times in seen.items() if times > 1] == [], "duplicated messages"
    assert sum(1 for effect in effects if effect.exists() and effect.read_text()) >= 2, (
        "one consumer did all the work: the test did not exercise concurrency"
    )
    with connect(path) as conn:
        assert conn.default_channel._size(QUEUE) == 0


def test_a_message_held_by_a_killed_consumer_comes_back_after_its_claim_expires(
    tmp_path: Path,
) -> None:
    # given: a consumer that fetched a message and was then killed without acking it
    path = str(tmp_path / "broker.sqlite3")
    with connect(path) as conn:
        conn.SimpleQueue(QUEUE).put({"n": 7})
    marker = tmp_path / "fetched"
    consumer = probe("claim-and-hang", path, str(marker), "2")
    try:
        assert wait_for(marker.exists, timeout=30), "the consumer never fetched the message"
    finally:
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(timeout=10)
    killed_at = time.monotonic()

    with connect(path) as conn:
        queue = conn.SimpleQueue(QUEUE)
        # when / then: while the claim runs, nobody else gets it ...
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.5)
        # ... and once it expires, the message is delivered again, marked as redelivered
        message = queue.get(timeout=10)
        assert message.payload == {"n": 7}
        assert message.delivery_info["redelivered"] is True
        assert time.monotonic() - killed_at >= 1.0
        message.ack()
        assert conn.default_channel._size(QUEUE) == 0


def test_a_live_consumer_keeps_its_message_past_the_claim_by_renewing_it(
    tmp_path: Path,
) -> None:
    # given: a consumer with 1 s claims that fetched a message and is still polling
    path = str(tmp_path / "broker.sqlite3")
    with connect(path, claim_seconds=1) as holder, connect(path) as other:
        holder.SimpleQueue(QUEUE).put({"n": 1})
        held = holder.SimpleQueue(QUEUE).get(timeout=1)
        rival = other.SimpleQueue(QUEUE)

        # when: three claim lengths pass, the holder polling all along (as a worker does
        # while its task runs)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                holder.drain_events(timeout=0.1)

            # then: nobody else gets it
            with pytest.raises(rival.Empty):
                rival.get(timeout=0.05)
        held.ack()
        assert other.default_channel._size(QUEUE) == 0


def test_a_rejected_message_is_requeued_and_an_unacked_one_survives_channel_close(
    tmp_path: Path,
) -> None:
    # given
    path = str(tmp_path / "broker.sqlite3")
    with connect(path) as conn:
        queue = conn.SimpleQueue(QUEUE)
        queue.put({"n": 1})
        queue.put({"n": 2})

        # when: one message is rejected with requeue, the other is left unacked at close
        queue.get(timeout=1).requeue()
        first = queue.get(timeout=1)
        queue.get(timeout=1)  # never acked

        # then
        assert first.payload == {"n": 1}
        first.ack()
    with connect(path) as conn:
        message = conn.SimpleQueue(QUEUE).get(timeout=1)
        assert message.payload == {"n": 2}
        message.ack()


@pytest.fixture
def embedded_worker(tmp_path: Path) -> Iterator[tuple[Celery, subprocess.Popen[str]]]:
    """A real `celery worker` on the embedded default (no DATABASE_URL, no REDIS_URL)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="gigcx.settings",
        DJANGO_SECRET_KEY="worker-test-" + "s" * 40,
        DJANGO_DEBUG="false",
        GIGCX_VAR_DIR=str(tmp_path),
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / f"embedded-worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, "-m", "celery", "-A", "gigcx", "worker"),
            *("-Q", "routing,payments,default", "-c", "2", "-l", "INFO"),
            *("--without-gossip", "--without-mingle", "-I", "tests.broker_probe"),
            *("-n", f"embedded{os.getpid()}@%h"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    client = Celery(
        "probe",
        broker="sqlite-broker://",
        broker_transport_options={"path": str(tmp_path / "broker.sqlite3")},
    )
    yield client, worker
    worker.terminate()  # warm shutdown: the leader stops its pool itself
    try:
        worker.wait(timeout=20)
    finally:
        with contextlib.suppress(ProcessLookupError):  # sweep whatever outlived the leader
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()


def test_a_real_worker_on_the_embedded_default_runs_a_task_and_answers_ping(
    embedded_worker: tuple[Celery, subprocess.Popen[str]], tmp_path: Path
) -> None:
    client, worker = embedded_worker
    done = tmp_path / "done"

    # when
    client.send_task("tests.broker_probe.touch", args=[str(done)], queue="default")

    # then: the task ran in the worker, and remote control works over the same file
    assert wait_for(done.exists, timeout=60), "the worker did not run the task (see logs)"
    assert worker.poll() is None
    replies = client.control.ping(timeout=2.0)
    assert any(name.startswith("embedded") for reply in replies for name in reply), replies
