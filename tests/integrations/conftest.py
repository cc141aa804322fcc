"""A real local webhook receiver (an HTTP server thread) and a brand endpoint pointing at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from gigcx.models import DomainEvent
from tests.payments.conftest import earned, resolve  # noqa: F401 - payments' fixtures, reused


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    answered: int


@dataclass
class Receiver:
    """Answers each POST with the next status of ``script`` (then 200), and verifies each
    one with the Standard Webhooks package's own verifier once it knows the secret."""

    url: str
    script: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    secret: str = ""
    # webhook-ids the receiver acted on (a 2xx answer), as a receiver that dedupes would keep.
    handled: list[str] = field(default_factory=list)

    def verified(self, item: Received) -> Any:
        return Webhook(self.secret).verify(item.body, item.headers)

    @property
    def successes(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.GIGCX_WEBHOOKS_ALLOW_PRIVATE = True
    settings.GIGCX_WEBHOOKS_ALLOW_HTTP = True
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            box = state["receiver"]
            body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            status = box.script.pop(0) if box.script else 200
            box.requests.append(Received(dict(self.headers.items()), body, status))
            if 200 <= status < 300:
                box.handled.append(self.headers["webhook-id"])
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"ok": status < 300}).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/gigcx")
    state["receiver"] = box
    yield box
    server.shutdown()
    server.server_close()


def events_named(name: str) -> list[DomainEvent]:
    return list(DomainEvent.objects.filter(name=name).order_by("created_at"))
