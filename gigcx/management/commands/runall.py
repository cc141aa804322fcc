"""Run the whole site in one terminal: web (ASGI), a Celery worker and Celery beat.

One Ctrl-C stops all three; if any of them exits, the others are stopped too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand

COLOURS = {"web": "\033[36m", "worker": "\033[35m", "beat": "\033[33m"}
RESET = "\033[0m"


class Command(BaseCommand):
    help = "Start web, Celery worker (queues routing, payments, default) and beat together."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("GIGCX_ADDR", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GIGCX_PORT", "8000")))
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        address = f"{options['addr']}:{options['port']}"
        commands = {
            "web": [sys.executable, manage, "runserver", address],
            "worker": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gigcx",
                "worker",
                "-Q",
                "routing,payments,default",
                "-l",
                "INFO",
                "--concurrency",
                str(options["concurrency"]),
                "-n",
                "gigcx@%h",
            ],
            "beat": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gigcx",
                "beat",
                "-l",
                "INFO",
                "--pidfile=",
            ],
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        processes: dict[str, subprocess.Popen[bytes]] = {}
        for name, command in commands.items():
            processes[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=settings.BASE_DIR,
                # Own process group: a terminal Ctrl-C reaches only us, and we shut the
                # children down in order (a second SIGINT would make Celery cold-stop).
                start_new_session=True,
            )
            threading.Thread(
                target=_relay, args=(name, processes[name].stdout), daemon=True
            ).start()

        local = options["addr"] in ("127.0.0.1", "0.0.0.0")  # noqa: S104 - compared, not bound
        url = f"http://{'localhost' if local else options['addr']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"\nGigCX is starting at {url}  (Ctrl-C stops everything)\n")
        )

        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with code {process.returncode}; stopping."
                        )
                        exit_code = process.returncode or 1
                        stopping = True
                        break
                time.sleep(0.3)
        finally:
            _stop_all(processes)
        if exit_code:
            sys.exit(exit_code)


def _relay(name: str, stream: IO[bytes] | None) -> None:
    if stream is None:
        return
    colour = COLOURS.get(name, "") if sys.stdout.isatty() else ""
    prefix = f"{colour}{name:<6}|{RESET if colour else ''} "
    for raw in iter(stream.readline, b""):
        sys.stdout.write(prefix + raw.decode(errors="replace"))
        sys.stdout.flush()


def _stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """Ask each leader to stop (Celery finishes its running task), then sweep its group
    (the runserver reloader's child, pool processes) so nothing outlives us."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
