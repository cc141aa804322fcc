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
from kombu import Connection, Queue

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


def hanging_consumer(path: str, tmp_path: Path, claim_seconds: float) -> subprocess.Popen[bytes]:
    """A process that fetched message {"n": 7} and will never ack it nor poll again."""
    with connect(path) as conn:
        conn.SimpleQueue(QUEUE).put({"n": 7})
    marker = tmp_path / "fetched"
    consumer = probe("claim-and-hang", path, str(marker), str(claim_seconds))
    if not wait_for(marker.exists, timeout=30):
        consumer.kill()
        pytest.fail("the consumer never fetched the message")
    return consumer


def test_a_message_held_by_a_stuck_consumer_comes_back_after_its_claim_expires(
    tmp_path: Path,
) -> None:
    # given: a consumer, alive but stuck, holding a message on a 2 s claim
    path = str(tmp_path / "broker.sqlite3")
    consumer = hanging_consumer(path, tmp_path, claim_seconds=2)
    fetched_at = time.monotonic()
    try:
        with connect(path) as conn:
            queue = conn.SimpleQueue(QUEUE)
            # when / then: while the claim runs, nobody else gets it ...
            with pytest.raises(queue.Empty):
                queue.get(timeout=0.5)
            # ... and once it expires, the message is delivered again, marked as redelivered
            message = queue.get(timeout=10)
            assert message.payload == {"n": 7}
            assert message.delivery_info["redelivered"] is True
            assert time.monotonic() - fetched_at >= 1.0
            message.ack()
            assert conn.default_channel._size(QUEUE) == 0
    finally:
        consumer.kill()
        consumer.wait(timeout=10)


def test_a_message_held_by_a_consumer_killed_with_sigkill_comes_back_at_once(
    tmp_path: Path,
) -> None:
    # given: a consumer holding a message on a 60 s claim
    path = str(tmp_path / "broker.sqlite3")
    consumer = hanging_consumer(path, tmp_path, claim_seconds=60)

    # when: it is killed without a chance to give it back
    consumer.send_signal(signal.SIGKILL)
    consumer.wait(timeout=10)
    killed_at = time.monotonic()

    # then: the next consumer sees that the owner died and does not wait for the claim
    with connect(path) as conn:
        message = conn.SimpleQueue(QUEUE).get(timeout=10)
        assert message.payload == {"n": 7}
        assert message.delivery_info["redelivered"] is True
        assert time.monotonic() - killed_at < 30
        message.ack()


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


def test_a_consumer_serves_its_first_queue_first_without_starving_the_others(
    tmp_path: Path,
) -> None:
    # given: a backlog on two queues, and a consumer of both that names "first" first
    path = str(tmp_path / "broker.sqlite3")
    with connect(path) as producer:
        for n in range(9):
            producer.SimpleQueue("first").put({"n": n})
            producer.SimpleQueue("second").put({"n": n})
    options = {"path": path, "polling_interval": 0.01, "queue_order": ["first", "second"]}
    served: list[tuple[str, int]] = []

    def on_message(body: dict[str, int], message: object) -> None:
        served.append((message.delivery_info["routing_key"], body["n"]))  # type: ignore[attr-defined]
        message.ack()  # type: ignore[attr-defined]

    # when: it drains both
    with (
        Connection("sqlite-broker://", transport_options=options) as conn,
        conn.Consumer([Queue("second"), Queue("first")], callbacks=[on_message]),
    ):
        while len(served) < 18:
            conn.drain_events(timeout=5)

    # then: most early claims went to "first", "second" was served all along, in order
    early = [queue for queue, _ in served[:9]]
    assert early.count("first") >= 6, served
    assert early.count("second") >= 1, served
    for queue in ("first", "second"):
        assert [n for name, n in served if name == queue] == list(range(9))


def start_embedded_worker(var: Path, **env_extra: str) -> subprocess.Popen[str]:
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
        GIGCX_VAR_DIR=str(var),
        **env_extra,
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"embedded-worker-{time.monotonic_ns()}.log"
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603
            [
                *(sys.executable, "-m", "celery", "-A", "gigcx", "worker"),
                *("-Q", "routing,payments,default", "-c", "2", "-l", "INFO"),
                *("--without-gossip", "--without-mingle", "-I", "tests.broker_probe"),
                *("-n", f"embedded{os.getpid()}-{time.monotonic_ns()}@%h"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def stop(worker: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    worker.send_signal(sig)  # SIGTERM: warm shutdown, the leader stops its pool itself
    try:
        worker.wait(timeout=20)
    finally:
        with contextlib.suppress(ProcessLookupError):  # sweep whatever outlived the leader
            os.killpg(worker.pid, signal.SIGKILL)


def client_for(var: Path) -> Celery:
    return Celery(
        "probe",
        broker="sqlite-broker://",
        broker_transport_options={"path": str(var / "broker.sqlite3")},
    )


@pytest.fixture
def embedded_worker(tmp_path: Path) -> Iterator[tuple[Celery, subprocess.Popen[str]]]:
    worker = start_embedded_worker(tmp_path)
    yield client_for(tmp_path), worker
    stop(worker)


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


def test_a_task_whose_worker_was_killed_runs_again_on_the_next_worker(tmp_path: Path) -> None:
    # given: a worker running a slow task
    runs = tmp_path / "runs"
    first = start_embedded_worker(tmp_path)
    client = client_for(tmp_path)
    try:
        client.send_task("tests.broker_probe.slow_touch", args=[str(runs), 3], queue="default")
        assert wait_for(runs.exists, timeout=60), "the first worker never started the task"
    finally:
        # when: the whole worker dies mid-task (power cut of the process group)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    second = start_embedded_worker(tmp_path)
    try:
        # then: the next worker sees the dead claim and runs the task to the end
        done = tmp_path / "runs.done"
        assert wait_for(done.exists, timeout=90), "the task was lost with its worker"
        assert runs.read_text() == "started\nstarted\n"  # at least once: it ran twice
    finally:
        stop(second)


def test_a_message_that_kills_its_worker_every_time_is_run_n_times_then_dead_lettered(
    tmp_path: Path,
) -> None:
    # given: a worker on the embedded default whose limit is two runs that never finished
    runs = tmp_path / "runs"
    worker = start_embedded_worker(tmp_path, GIGCX_TASK_MAX_DELIVERIES="2")
    client = client_for(tmp_path)
    try:
        # when: a task that kills its pool child is sent
        client.send_task("tests.broker_probe.die", args=[str(runs)], queue="default")

        # then: the count kept on the message's row stops it after two runs; the message
        # is not run a third time but dead-lettered and acknowledged
        with client.connection_for_write() as conn:
            channel = conn.default_channel
            assert wait_for(lambda: channel._size("default") == 0, timeout=120), (
                "the poison message is still queued (see the worker log)"
            )
        assert runs.read_text() == "started\nstarted\n"
    finally:
        stop(worker)
