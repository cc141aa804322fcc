"""OpenAPI schema customisation (drf-spectacular)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import is_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """The one error shape of every 4xx and 5xx (gigcx.exceptions.error_body)."""

    class DetailSerializer(serializers.Serializer):
        code = serializers.CharField(help_text="Stable, for programs: not_found, invalid, ...")
        message = serializers.CharField(help_text="For people: what went wrong, what to fix.")
        fields = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Field name (dotted for nested ones) to its problems; empty otherwise.",
        )

    error = DetailSerializer()


WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Why each status can answer; an operation documents those that apply to it (error_codes).
ERROR_DESCRIPTIONS = {
    "400": "The request is not valid: `fields` names each field to fix.",
    "401": "Not signed in, or the session token or API key is unknown, expired or revoked.",
    "403": (
        "Signed in, but this caller may not do this (role, not an expert on /expert/ "
        "endpoints, API key, second factor, CSRF)."
    ),
    "404": "No such row or brand, or not visible to this caller: the two are not told apart.",
    "409": "The state moved on (already done, taken by someone else), or an Idempotency-Key "
    "was reused with another body.",
    "429": "Too many requests: wait for the seconds in Retry-After.",
}


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

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self.error_codes(operation):
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
        for code, body in responses.items():
            if code[0] in "45" and "content" not in body:
                error = self._get_response_for_code(ErrorSerializer, code)
                body["content"] = error["content"]
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_codes(self, operation: dict[str, Any]) -> list[str]:
        """The error statuses this operation can answer: 400 for a body or query to validate,
        401 always (a bad session token or API key is refused even where none is needed),
        403 unless anyone may call it, 404 for a path naming a row or brand or a page past
        the last, 409 for a write, 429 for all (every view is rate limited)."""
        public = all(p is AllowAny for p in getattr(self.view, "permission_classes", []))
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        codes = []
        if has_query or "requestBody" in operation:
            codes.append("400")
        codes.append("401")
        if not public:
            codes.append("403")
        if "{" in self.path or self._get_paginator() is not None:
            codes.append("404")
        if self.method in WRITES:
            codes.append("409")
        codes.append("429")
        return codes

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        if self.method == "DELETE" and "204" in bodies:
            answer = self.get_response_serializers()
            if is_serializer(answer):
                # Our deletes (archive, revoke, unverify) answer 200 with the row as it is now.
                del bodies["204"]
                bodies["200"] = self._get_response_for_code(answer, "200", direction=direction)
        return bodies

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
