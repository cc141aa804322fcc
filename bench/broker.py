"""Embedded brokers compared: kombu's filesystem transport against ours (gigcx/broker.py).

For each one, in a fresh temporary var folder, it starts a real ``celery worker`` on the
GigCX app (concurrency 2, prefork, the settings ``make run`` uses) and measures:

- **throughput**: N no-op tasks published as fast as possible; tasks/s from the first
  publish to the last task run;
- **round trip**: one task at a time, publish -> the task has run, p50 and p99.

The task marks each run by appending a line to a file, so nothing else (database, result
backend) is on the path. Prints figures, never fails. Run: ``make bench-broker`` or
``python bench/broker.py [--tasks N] [--round-trips M]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from celery import shared_task

ROOT = Path(__file__).resolve().parents[1]
TASK = "bench.broker.noop"


@shared_task(name=TASK)
def noop(seq: int, marks: str) -> None:
    """Record that task ``seq`` ran (a short O_APPEND write is atomic between processes)."""
    with open(marks, "a") as out:
        out.write(f"{seq} {time.time()}\n")


def broker_options(url: str, var: Path) -> dict[str, object]:
    """The transport options gigcx/settings.py derives for ``url`` (kept in step by hand)."""
    if url.startswith("filesystem://"):
        folder = var / "broker"
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    return {"path": str(var / "broker.sqlite3"), "polling_interval": 0.05}


class Marks:
    """Reads the marks file as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ran: dict[int, float] = {}
        self._offset = 0

    def refresh(self) -> None:
        if not self.path.exists():
            return
        with open(self.path) as marks:
            marks.seek(self._offset)
            chunk = marks.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            seq, at = line.split()
            self.ran[int(seq)] = float(at)

    def wait(self, seq: int, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.refresh()
            if seq in self.ran:
                return self.ran[seq]
            time.sleep(0.002)
        return None


def start_worker(url: str | None, var: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="gigcx.settings",
        DJANGO_SECRET_KEY="bench-broker-" + "b" * 40,
        DJANGO_DEBUG="false",
        GIGCX_ALLOW_CONSOLE_EMAIL="true",
        GIGCX_VAR_DIR=str(var),
        GIGCX_LOG_LEVEL="WARNING",
    )
    if url:
        env["CELERY_BROKER_URL"] = url
    command = [
        *(sys.executable, "-m", "celery", "-A", "gigcx", "worker", "-I", "bench.broker"),
        *("-Q", "routing,payments,default", "-c", "2", "-l", "WARNING"),
        *("--without-gossip", "--without-mingle", "-n", f"bench{os.getpid()}@%h"),
    ]
    return subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)


def measure(label: str, url: str, tasks: int, round_trips: int) -> dict[str, float | str]:
    from celery import Celery

    with tempfile.TemporaryDirectory(prefix="gigcx-bench-broker-") as tmp:
        var = Path(tmp)
        options = broker_options(url, var)
        for key in ("data_folder_in", "control_folder"):
            if key in options:
                Path(str(options[key])).mkdir(parents=True, exist_ok=True)
        marks = Marks(var / "marks.txt")
        client = Celery("bench", broker=url, broker_transport_options=options)
        worker = start_worker(None if url.startswith("sqlite-broker") else url, var, var / "w.log")
        seq = 0

        def send() -> int:
            nonlocal seq
            seq += 1
            client.send_task(TASK, args=[seq, str(marks.path)], queue="default")
            return seq

        try:
            if marks.wait(send(), timeout=90) is None:
                return {"transport": label, "error": "worker never ran a task"}

            sent_at: dict[int, float] = {}
            latencies = []
            for _ in range(round_trips):
                started = time.time()
                ran = marks.wait(send(), timeout=30)
                if ran is not None:
                    latencies.append((ran - started) * 1000)

            first = seq + 1
            started = time.time()
            for _ in range(tasks):
                sent_at[send()] = time.time()
            published = time.time()
            marks.wait(seq, timeout=max(60.0, tasks / 5))
            done = [marks.ran[n] for n in range(first, seq + 1) if n in marks.ran]
            finished = max(done) if done else time.time()
        finally:
            stop_worker(worker)

    latencies.sort()
    return {
        "transport": label,
        "publish/s": tasks / max(published - started, 1e-9),
        "tasks/s": len(done) / max(finished - started, 1e-9),
        "ran": f"{len(done)}/{tasks}",
        "round trip p50 ms": statistics.median(latencies) if latencies else float("nan"),
        "round trip p99 ms": (
            latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            if latencies
            else float("nan")
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--round-trips", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from gigcx import broker

    broker.register()
    print(
        f"No-op Celery tasks, one worker (prefork, concurrency 2), {args.tasks} tasks for "
        f"throughput, {args.round_trips} sequential round trips."
    )
    rows = [
        measure("filesystem:// (kombu)", "filesystem://", args.tasks, args.round_trips),
        measure("sqlite-broker:// (ours)", "sqlite-broker://", args.tasks, args.round_trips),
    ]
    columns = ["publish/s", "tasks/s", "ran", "round trip p50 ms", "round trip p99 ms"]
    print(f"{'transport':<26}" + "".join(f"{c:>19}" for c in columns))
    for row in rows:
        if "error" in row:
            print(f"{row['transport']:<26} {row['error']}")
            continue
        cells = [
            f"{row[c]:>19.1f}" if isinstance(row[c], float) else f"{row[c]:>19}" for c in columns
        ]
        print(f"{row['transport']:<26}" + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
