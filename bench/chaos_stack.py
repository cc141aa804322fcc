"""The processes of a chaos run: its own Redis, web (Daphne), Celery workers and beat.

Every process runs in its own session (process group), logs to a file, and can be killed
with SIGKILL and started again with the same command. Processes are only ever started from
the main thread: on Linux each child asks for SIGKILL when its parent dies (PDEATHSIG), and
that signal follows the thread that forked it. The process groups are also written to a
file, so ``chaos.py --cleanup`` can remove them after a driver that was itself killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Service:
    """One restartable process (a process group of its own)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        logs: Path,
        groups_file: Path,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.log_path = logs / f"{name}.log"
        self.groups_file = groups_file
        self.ready = ready
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_offset = 0  # where the log of the current start begins

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("start processes from the main thread (PDEATHSIG follows it)")
        self.starts += 1
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            banner = f"\n===== start {self.starts} at {time.strftime('%H:%M:%S')} =====\n"
            log.write(banner.encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        with open(self.groups_file, "a") as groups:
            groups.write(f"{self.process.pid} {_start_time(self.process.pid)}\n")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group: a killed Celery worker takes its pool children with it,
        as when its container is OOM-killed."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)
        if sig == signal.SIGKILL:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None:
            return
        if self.running:
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill(signal.SIGKILL)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                return False
            if self.ready is None or self.ready():
                return True
            time.sleep(0.3)
        return False


def http_answers(url: str) -> Callable[[], bool]:
    """Ready when the server answers at all (the health check may say 503 while Redis is
    down, which is still an answer)."""

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback URL
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    return check


def redis_answers(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    return check


def log_says(service: Service, marker: bytes) -> Callable[[], bool]:
    """Ready when the log written since the service's last start contains ``marker``."""

    def check() -> bool:
        try:
            with open(service.log_path, "rb") as log:
                log.seek(service.log_offset)
                return marker in log.read()
        except OSError:
            return False

    return check


class Stack:
    """Redis, two web processes, two workers and beat for one chaos run."""

    def __init__(self, *, workdir: Path, database_url: str, extra_env: dict[str, str]) -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        (workdir / "redis").mkdir(exist_ok=True)
        self.groups_file = workdir / "process-groups"
        self.redis_port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            # This checkout's code, whichever checkout the virtualenv was installed from.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "DJANGO_SETTINGS_MODULE": "gigcx.settings",
            "DJANGO_DEBUG": "false",
            "GIGCX_ALLOW_DEMO_DATA": "true",
            "DJANGO_SECRET_KEY": "chaos-run-only-" + "k" * 48,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            # Nobody reads the mail of a chaos run.
            "GIGCX_ALLOW_CONSOLE_EMAIL": "true",
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis_url,
            "GIGCX_VAR_DIR": str(workdir / "var"),
            **extra_env,
        }
        python = sys.executable
        bin_dir = Path(python).parent
        self.redis = Service(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
                str(workdir / "redis"),
            ],
            env=self.env,
            logs=self.logs,
            groups_file=self.groups_file,
            ready=redis_answers(self.redis_port),
        )
        self.webs = [
            Service(
                f"web{i + 1}",
                [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port)]
                + ["gigcx.asgi:application"],
                env=self.env,
                logs=self.logs,
                groups_file=self.groups_file,
                ready=http_answers(f"http://127.0.0.1:{port}/healthz"),
            )
            for i, port in enumerate(self.web_ports)
        ]
        self.workers = [
            Service(
                f"worker{i + 1}",
                [python, "-m", "celery", "-A", "gigcx", "worker"]
                + ["-Q", "routing,payments,default", "-c", "2", "-l", "INFO"]
                + ["-n", f"chaos{i + 1}@%h"],
                env=self.env,
                logs=self.logs,
                groups_file=self.groups_file,
            )
            for i in range(2)
        ]
        for worker in self.workers:
            worker.ready = log_says(worker, b" ready.")
        self.beat = Service(
            "beat",
            [python, "-m", "celery", "-A", "gigcx", "beat", "-l", "INFO", "--pidfile="],
            env=self.env,
            logs=self.logs,
            groups_file=self.groups_file,
        )

    @property
    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.web_ports]

    @property
    def services(self) -> list[Service]:
        return [self.redis, *self.webs, *self.workers, self.beat]

    def by_name(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def manage(self, *args: str) -> None:
        """Run a management command against the chaos database and Redis; fail loudly."""
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True
        )

    def start_redis(self) -> None:
        """First, alone: seeding the demo data already enqueues tasks."""
        self.redis.start()
        if not self.redis.wait_ready(20):
            raise RuntimeError(f"redis-server did not start; see {self.redis.log_path}")

    def start_all(self) -> None:
        if not self.redis.running:
            self.start_redis()
        for service in [*self.webs, *self.workers, self.beat]:
            service.start()
        for web in self.webs:
            if not web.wait_ready(90):
                raise RuntimeError(f"{web.name} did not start; see {web.log_path}")

    def ensure_running(self) -> list[str]:
        """Start whatever is down (after the last fault); returns the names started."""
        started = []
        for service in self.services:
            if not service.running:
                service.start()
                started.append(service.name)
        for service in self.services:
            service.wait_ready(90)
        return started

    def stop_all(self) -> None:
        # Web and beat first (no new work), then workers (finish their task), Redis last.
        for service in [*self.webs, self.beat, *self.workers, self.redis]:
            with contextlib.suppress(Exception):
                service.stop()
        with contextlib.suppress(OSError):
            self.groups_file.unlink()


def kill_recorded_groups(groups_file: Path) -> int:
    """Kill the process groups a previous run recorded (its driver died without cleaning)."""
    if not groups_file.exists():
        return 0
    killed = 0
    for line in groups_file.read_text().splitlines():
        pid, _, started = line.partition(" ")
        # Only the very process we started (same start time): a pid may have been reused.
        if not pid.isdigit() or _start_time(int(pid)) != started:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(pid), signal.SIGKILL)
            killed += 1
    groups_file.unlink()
    return killed
