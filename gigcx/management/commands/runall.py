"""Run the whole site in one terminal: web (ASGI), a Celery worker and Celery beat.

One Ctrl-C stops all three. If one of them exits, it is started again after a backoff
(gigcx/supervisor.py) while the others keep running.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from gigcx.supervisor import supervise


class Command(BaseCommand):
    help = "Start web, Celery worker (queues routing, payments, default) and beat together."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("GIGCX_ADDR", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GIGCX_PORT", "8000")))
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument(
            "--noreload", action="store_true", help="web: do not restart on code changes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        address = f"{options['addr']}:{options['port']}"
        commands = {
            "web": [
                *(sys.executable, manage, "runserver", address),
                *(["--noreload"] if options.get("noreload") else []),
            ],
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
                # One worker: nobody to gossip or mingle with (Celery skips both on the
                # embedded broker anyway; on Redis they cost start-up time). Remote control
                # (`celery inspect`) stays on.
                "--without-gossip",
                "--without-mingle",
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
        # 0.0.0.0 is compared with the address asked for here, not bound to.
        local = options["addr"] in ("127.0.0.1", "0.0.0.0")  # noqa: S104  # nosec B104
        url = f"http://{'localhost' if local else options['addr']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"\nGigCX is starting at {url}  (Ctrl-C stops everything)\n")
        )
        self.stdout.flush()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # Links in emails (private links, rating links, invitations) must use the address
        # the site really runs on, unless the operator named a public one.
        env.setdefault("GIGCX_SITE_URL", url.rstrip("/"))
        supervise(
            commands,
            env=env,
            cwd=settings.BASE_DIR,
            say=lambda line: self.stderr.write(self.style.WARNING(line)),
        )
