"""Idempotency-Key for API writes: a client's retry returns the first result, never a second
row.

The first request with a key inserts the key's row and runs the view in one transaction, and
stores the response in that row before it commits. A concurrent request with the same key
blocks on the unique constraint until the first commits (PostgreSQL; on SQLite the write
lock already serialises them), then reads the stored response and returns it. Only
successful responses are kept: a request that failed validation leaves no row, so the client
may fix it and send it again with the same key.

- same caller, same key, same request (method, path, body): the stored status and body,
  with the header ``Idempotent-Replayed: true``;
- same caller, same key, another request: 409 with a message;
- keys are per caller (user, API key, or the client address of an anonymous caller) and
  expire after ``GIGCX_IDEMPOTENCY_TTL_HOURS`` (24 by default).

Secrets a response shows once (an anonymous asker's private-link token) are stored
encrypted with a key derived from SECRET_KEY, so a copy of the database alone does not
reveal them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from gigcx.exceptions import ConflictError
from gigcx.models import IdempotencyKey
from gigcx.throttling import client_ip

HEADER = "Idempotency-Key"
KEY_MAX = 255
_SEALED = "sealed:"

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) per intended write; a retry with the same key "
    "returns the first result. Remembered for 24 hours, per caller.",
)


class _Rollback(Exception):
    """Leaves the atomic block so that a failed request stores no key."""

    def __init__(self, response: Any) -> None:
        self.response = response


def caller_of(request: Request) -> str:
    api_key_id = getattr(request.user, "api_key_id", None)
    if api_key_id is not None:
        return f"api_key:{api_key_id}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"anon:{client_ip(request)}"


def fingerprint_of(request: Request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder)
    except TypeError:
        body = repr(request.data)
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"gigcx.idempotency:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _seal(body: Any, secrets: tuple[str, ...]) -> Any:
    if not isinstance(body, dict):
        return body
    sealed = dict(body)
    for name in secrets:
        if isinstance(sealed.get(name), str):
            sealed[name] = _SEALED + _fernet().encrypt(sealed[name].encode()).decode()
    return sealed


def _unseal(body: Any, secrets: tuple[str, ...]) -> Any:
    if not isinstance(body, dict):
        return body
    opened = dict(body)
    for name in secrets:
        value = opened.get(name)
        if isinstance(value, str) and value.startswith(_SEALED):
            try:
                opened[name] = _fernet().decrypt(value[len(_SEALED) :].encode()).decode()
            except InvalidToken:  # SECRET_KEY rotated since: the secret is gone
                opened[name] = None
    return opened


def idempotency_keys_prune(*, now: Any = None) -> int:
    """Delete expired keys (beat, hourly); returns how many."""
    return IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]


def _replay(record: IdempotencyKey, fingerprint: str, secrets: tuple[str, ...]) -> Response:
    if record.fingerprint != fingerprint:
        raise ConflictError(
            gettext(
                "This %(header)s was already used for a different request. Use a new key for a "
                "new request; send the same body to retry the first one."
            )
            % {"header": HEADER},
            code="idempotency_key_reused",
        )
    response = Response(_unseal(record.response, secrets), status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(*, secrets: tuple[str, ...] = ()) -> Callable[..., Any]:
    """Decorate an APIView's ``post``: honour the Idempotency-Key header (module docstring).

    ``secrets`` names fields of the response body stored encrypted.
    """

    def decorate(method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(method)
        def wrapped(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = (request.headers.get(HEADER) or "").strip()
            if not key:
                return method(view, request, *args, **kwargs)
            if len(key) > KEY_MAX or not key.isprintable():
                raise serializers.ValidationError(
                    {
                        HEADER: [
                            gettext("At most %(count)d printable characters.") % {"count": KEY_MAX}
                        ]
                    }
                )
            caller = caller_of(request)
            fingerprint = fingerprint_of(request)
            now = timezone.now()
            IdempotencyKey.objects.filter(caller=caller, key=key, expires_at__lte=now).delete()
            try:
                with transaction.atomic():
                    try:
                        with transaction.atomic():
                            record = IdempotencyKey.objects.create(
                                caller=caller,
                                key=key,
                                fingerprint=fingerprint,
                                status_code=0,
                                expires_at=now
                                + timedelta(hours=settings.GIGCX_IDEMPOTENCY_TTL_HOURS),
                            )
                    except IntegrityError:
                        # Another request with this key committed first (we waited for it).
                        record = IdempotencyKey.objects.get(caller=caller, key=key)
                        return _replay(record, fingerprint, secrets)
                    response = method(view, request, *args, **kwargs)
                    if not 200 <= response.status_code < 300:
                        raise _Rollback(response)
                    IdempotencyKey.objects.filter(pk=record.pk).update(
                        status_code=response.status_code,
                        response=json.loads(
                            json.dumps(_seal(response.data, secrets), cls=DjangoJSONEncoder)
                        ),
                    )
                    return response
            except _Rollback as failed:
                return failed.response

        return wrapped

    return decorate
