"""``Authorization: Api-Key <prefix>.<secret>`` for brand integrations."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from marketplace.models import BrandApiKey

KEYWORD = b"api-key"


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """Stands in for ``request.user`` when a brand integration calls the API."""

    api_key_id: int
    brand_id: int
    role: str
    name: str

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __str__(self) -> str:
        return f"api-key:{self.name}"


class BrandApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None
        if len(header) != 2:
            raise AuthenticationFailed("Send the key as 'Authorization: Api-Key <key>'.")
        raw = header[1].decode(errors="replace")
        prefix, _, secret = raw.partition(".")
        key = BrandApiKey.objects.usable().filter(prefix=prefix).first() if secret else None
        if key is None or not hmac.compare_digest(key.key_hash, BrandApiKey.hash_secret(secret)):
            raise AuthenticationFailed("This API key is unknown or has been revoked.")
        BrandApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return ApiKeyPrincipal(key.pk, key.brand_id, key.role, key.name), key

    def authenticate_header(self, request: Request) -> str:
        return 'Api-Key realm="api"'
