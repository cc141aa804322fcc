"""Signing and sending one webhook request (Standard Webhooks).

Headers: ``webhook-id`` (the delivery's message id, the same on every attempt),
``webhook-timestamp`` (this attempt, in seconds) and ``webhook-signature`` (``v1,<base64>``,
HMAC-SHA256 of ``id.timestamp.body`` with the endpoint's secret), computed by the
``standardwebhooks`` package, so a receiver verifies with any Standard Webhooks library.

The connection goes to the addresses :func:`integrations.urlguard.url_check` just checked,
never to a fresh DNS answer; redirects are not followed (a 3xx counts as a failure).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from standardwebhooks.webhooks import Webhook

from integrations.urlguard import Target

USER_AGENT = "GigCX-Webhooks/1"
SNIPPET = 500


@dataclass(frozen=True)
class Response:
    status: int
    snippet: str


def body_of(payload: dict[str, Any]) -> str:
    """The exact bytes that are signed and sent (compact, stable key order)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True)


def signed_headers(*, secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(message_id, at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _connect(addresses: tuple[str, ...], port: int, timeout: float | None) -> socket.socket:
    """The first of the checked addresses that answers (an IPv6 one may be unreachable)."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked addresses only; ``host`` is only the Host header."""

    def __init__(self, addresses: tuple[str, ...], host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked addresses, with SNI and the certificate checked against ``host``."""

    def __init__(self, addresses: tuple[str, ...], host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._addresses = addresses

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(*, target: Target, body: str, headers: dict[str, str]) -> Response:
    """POST once. Network errors raise OSError (or http.client.HTTPException)."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        target.addresses, target.host, target.port, timeout=settings.GIGCX_WEBHOOKS_TIMEOUT
    )
    try:
        connection.request("POST", target.path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        snippet = response.read(SNIPPET).decode("utf-8", errors="replace")
        return Response(status=response.status, snippet=snippet)
    finally:
        connection.close()
