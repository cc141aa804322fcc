"""OpenAPI schema customisation (drf-spectacular)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


class AutoSchema(BaseAutoSchema):
    """Name nested serializers after their view: ``BrandCreateApi.InputSerializer`` becomes
    ``BrandCreateInput``, so the per-view Input/Output classes of STYLE never collide."""

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        qualname = type(serializer).__qualname__
        if "." not in qualname:
            return super().get_serializer_name(serializer, direction)
        parts = [re.sub(r"(Api|Serializer)$", "", part) for part in qualname.split(".")]
        return "".join(parts)


class SessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "gigcx.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "From POST /_allauth/app/v1/auth/login (allauth headless, app client).",
        }


class BrandApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.authentication.BrandApiKeyAuthentication"
    name = "brandApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; keys are created by brand owners and managers.",
        }
