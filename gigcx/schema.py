"""OpenAPI schema customisation (drf-spectacular)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


def _answers_with_a_page(view: Any, method: str) -> bool:
    """Whether the view's handler answers through ``gigcx.pagination.paginated`` (and so with
    ``{"count", "next", "previous", "results"}`` rather than a bare list). Our views are
    APIViews without a ``pagination_class``; reading the names the handler calls keeps the
    schema true without a second declaration on every list view that could drift."""
    handler = getattr(view, method.lower(), None)
    code = getattr(getattr(handler, "__func__", handler), "__code__", None)
    return code is not None and "paginated" in code.co_names


class AutoSchema(BaseAutoSchema):
    """Name nested serializers after their view: ``BrandCreateApi.InputSerializer`` becomes
    ``BrandCreateInput``, so the per-view Input/Output classes of STYLE never collide.

    Lists answered a page at a time are declared as pages (count, next, previous, results)
    with their ``page`` and ``page_size`` parameters."""

    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()
        if paginator is None and _answers_with_a_page(self.view, self.method):
            from gigcx.pagination import PageNumberPagination

            return PageNumberPagination()
        return paginator

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
