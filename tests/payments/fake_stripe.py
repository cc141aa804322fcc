"""A small local HTTP server that speaks the one Stripe endpoint payouts use.

POST /v1/transfers, with Stripe's idempotency rules (https://docs.stripe.com/api/idempotent_requests):
the first result for an Idempotency-Key is stored and replayed for retries; the same key with
other parameters is an ``idempotency_error`` (400). Failures are scripted per request:

- ``"ok"``: create the transfer;
- ``"card_error"`` / ``"account_error"``: 402 / 400 answers, stored like any executed request;
- ``"unavailable"``: 503 before the endpoint executes (nothing stored; a retry can succeed);
- ``"timeout"``: the transfer is created and stored, but the answer comes after the client's
  timeout (the classic "did it go through?").

``transfers`` holds every transfer actually created; a test asserts one per payout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


class FakeStripe:
    def __init__(self) -> None:
        self.script: list[str] = []
        self.transfers: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.stored: dict[str, tuple[dict[str, str], int, dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.timeout_sleep = 2.0
        self.server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def transfers_for(self, key: str) -> list[dict[str, Any]]:
        return [t for t in self.transfers if t["idempotency_key"] == key]

    def handle(self, key: str, params: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        with self.lock:
            self.requests.append({"idempotency_key": key, "params": params})
            if key and key in self.stored:
                stored_params, status, body = self.stored[key]
                if stored_params != params:
                    return (
                        400,
                        _error(
                            "idempotency_error",
                            "Idempotency keys may only be reused with the same parameters.",
                            code="idempotency_key_in_use",
                        ),
                        0,
                    )
                return status, body, 0
            behaviour = self.script.pop(0) if self.script else "ok"
            delay = 0.0
            if behaviour == "unavailable":
                return 503, _error("api_error", "Service unavailable."), 0
            if behaviour == "card_error":
                status, body = (
                    402,
                    _error(
                        "card_error",
                        "The destination cannot receive transfers.",
                        code="account_closed",
                    ),
                )
            elif behaviour == "account_error":
                status, body = (
                    400,
                    _error(
                        "invalid_request_error",
                        "No such destination: 'acct_gone'.",
                        code="resource_missing",
                    ),
                )
            else:
                transfer = {
                    "id": f"tr_{len(self.transfers) + 1:06d}",
                    "object": "transfer",
                    "amount": int(params["amount"]),
                    "currency": params["currency"],
                    "destination": params["destination"],
                    "transfer_group": params.get("transfer_group"),
                    "metadata": {
                        k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")
                    },
                    "idempotency_key": key,
                }
                self.transfers.append(transfer)
                status, body = 200, {k: v for k, v in transfer.items() if k != "idempotency_key"}
                if behaviour == "timeout":
                    delay = self.timeout_sleep
            if key:
                self.stored[key] = (params, status, body)
            return status, body, delay


def _error(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return {"error": error}


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(self.rfile.read(length).decode()))
            if self.path != "/v1/transfers":
                status, body, delay = (
                    404,
                    _error("invalid_request_error", "Unrecognized request URL."),
                    0.0,
                )
            elif not (self.headers.get("Authorization") or "").startswith("Bearer sk_test_"):
                status, body, delay = 401, _error("invalid_request_error", "Invalid API Key."), 0.0
            else:
                status, body, delay = fake.handle(self.headers.get("Idempotency-Key") or "", params)
            if delay:
                time.sleep(delay)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
