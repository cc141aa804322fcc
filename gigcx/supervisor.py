"""Keep a few child processes running: the supervision loop behind ``manage.py runall``.

A child that exits is started again after an exponential backoff (1, 2, 4 ... seconds,
capped), reset once it has stayed up for a while, so a crash-looping process is retried
slowly instead of stopping the site. Each exit prints one line: what exited, how, and when
it comes back. A stop request (Ctrl-C, SIGTERM) stops every child, asking politely first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import IO, Any

COLOURS = {"web": "\033[36m", "worker": "\033[35m", "beat": "\033[33m"}
RESET = "\033[0m"


def restart_delay(failures: int, *, base: float = 1.0, cap: float = 30.0) -> float:
    """Seconds to wait before restart number ``failures`` (1, 2, ...) of a quick exit."""
    return min(cap, base * 2 ** max(0, failures - 1))


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


class Child:
    def __init__(self, name: str, command: Sequence[str]) -> None:
        self.name = name
        self.command = list(command)
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.quick_exits = 0  # consecutive exits before it stayed up `stable_after` seconds
        self.restarts = 0
        self.restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        say: Callable[[str], None] | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        stable_after: float = 60.0,
        tick: float = 0.2,
        stop_timeout: float = 20.0,
    ) -> None:
        self.children = [Child(name, command) for name, command in commands.items()]
        self.env = dict(env if env is not None else os.environ)
        self.cwd = cwd
        self.say = say or _to_stderr
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.stable_after = stable_after
        self.tick = tick
        self.stop_timeout = stop_timeout
        self.stopping = threading.Event()

    def request_stop(self, *_: Any) -> None:
        """Safe from a signal handler: the loop notices on its next tick."""
        self.stopping.set()

    def run(self) -> int:
        """Start every child and keep them running until a stop is requested."""
        try:
            for child in self.children:
                self._start(child)
            while not self.stopping.wait(self.tick):
                now = time.monotonic()
                for child in self.children:
                    self._check(child, now)
        finally:
            self._stop_all()
        return 0

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - commands come from our own code
            child.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            # Own process group: a terminal Ctrl-C reaches only us, and we shut the children
            # down in order (a second SIGINT would make Celery cold-stop).
            start_new_session=True,
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        threading.Thread(
            target=_relay, args=(child.name, child.process.stdout), daemon=True
        ).start()

    def _check(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                self._start(child)
            return
        process = child.process
        if process is None or process.poll() is None:
            return
        _sweep(process)  # pool processes or a reloader child must not outlive their leader
        uptime = now - child.started_at
        child.quick_exits = 1 if uptime >= self.stable_after else child.quick_exits + 1
        delay = restart_delay(child.quick_exits, base=self.backoff_base, cap=self.backoff_cap)
        child.restart_at = now + delay
        at = (datetime.now() + timedelta(seconds=delay)).strftime("%H:%M:%S")  # noqa: DTZ005 - local time for a terminal
        self.say(
            f"{child.name} {describe_exit(process.returncode)} after {uptime:.0f}s; "
            f"restarting it in {delay:g}s (at {at}), restart #{child.restarts + 1}"
        )

    def _stop_all(self) -> None:
        """Ask each leader to stop (Celery finishes its running task), then sweep its group
        (the runserver reloader's child, pool processes) so nothing outlives us."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for child in self.children:
            if child.process is not None:
                _sweep(child.process)


def _sweep(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _relay(name: str, stream: IO[bytes] | None) -> None:
    if stream is None:
        return
    colour = COLOURS.get(name, "") if sys.stdout.isatty() else ""
    prefix = f"{colour}{name:<6}|{RESET if colour else ''} "
    for raw in iter(stream.readline, b""):
        sys.stdout.write(prefix + raw.decode(errors="replace"))
        sys.stdout.flush()
    stream.close()


def _to_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def supervise(commands: Mapping[str, Sequence[str]], **options: Any) -> int:
    """Run ``commands`` under a :class:`Supervisor` until SIGINT or SIGTERM."""
    supervisor = Supervisor(commands, **options)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    return supervisor.run()
