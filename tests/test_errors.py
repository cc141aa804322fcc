"""Every 4xx and 5xx of the API has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db


def assert_error_shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


class ExplodingApi(APIView):
    def get(self, request: Any) -> Response:
        raise RuntimeError("boom")


urlpatterns = [path("api/v1/explode", ExplodingApi.as_view())]
handler500 = "gigcx.exceptions.handler500"  # the same handler as gigcx.urls


def test_unauthenticated_request_gets_401_with_a_challenge(api: Any) -> None:
    response = api.get("/api/v1/me")
    error = assert_error_shape(response, 401, "not_authenticated")
    assert "credentials" in error["message"].lower()
    assert response["WWW-Authenticate"]


def test_invalid_session_token_is_401_not_anonymous(api: Any) -> None:
    response = api.get("/api/v1/me", HTTP_X_SESSION_TOKEN="not-a-real-token")
    error = assert_error_shape(response, 401, "authentication_failed")
    assert "log in again" in error["message"]


def test_unknown_api_address_is_json_404(api: Any) -> None:
    assert_error_shape(api.get("/api/v1/no/such/thing"), 404, "not_found")


def test_validation_errors_list_each_field(cast: Any, api_as: Any) -> None:
    response = api_as(cast.sam).post(
        "/api/v1/brands", {"name": "", "languages": ["xx"], "is_active": False}, format="json"
    )
    error = assert_error_shape(response, 400, "invalid")
    assert set(error["fields"]) == {"name", "languages.0", "is_active"}
    assert error["fields"]["is_active"] == ["Unknown field; it cannot be set here."]
    # the message alone says what to fix: the first field and its problem, then how many more
    first = next(iter(error["fields"]))
    assert error["message"].startswith(f"{first}: {error['fields'][first][0]}")
    assert error["message"].endswith("(2 more fields to fix; each one is listed with its problem.)")


def test_malformed_json_is_400(cast: Any, api_as: Any) -> None:
    response = api_as(cast.sam).generic(
        "POST", "/api/v1/brands", "{not json", content_type="application/json"
    )
    assert_error_shape(response, 400, "malformed_request")


def test_wrong_media_type_is_415(cast: Any, api_as: Any) -> None:
    response = api_as(cast.sam).generic(
        "POST", "/api/v1/brands", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert_error_shape(response, 415, "unsupported_media_type")


def test_wrong_method_is_405(cast: Any, api_as: Any) -> None:
    assert_error_shape(api_as(cast.sam).put("/api/v1/me", {}), 405, "method_not_allowed")


def test_conflicts_are_409(cast: Any, api_as: Any) -> None:
    response = api_as(cast.sam).post(
        "/api/v1/brands", {"name": "Acme again", "slug": "acme", "languages": ["en"]}, format="json"
    )
    error = assert_error_shape(response, 409, "conflict")
    assert error["fields"] == {"slug": ["Already taken."]}


@pytest.mark.urls("tests.test_errors")
def test_unexpected_exception_is_json_500_without_details(api: Any, cast: Any) -> None:
    api.raise_request_exception = False
    api.force_authenticate(cast.sam)
    response = api.get("/api/v1/explode")
    error = assert_error_shape(response, 500, "server_error")
    assert "boom" not in response.content.decode()
    assert "logged" in error["message"]


def test_throttled_requests_get_429_with_retry_after(cast: Any, api_as: Any, settings: Any) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import UserRateThrottle

    # given a tight limit for this test only
    UserRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min"}
    try:
        client = api_as(cast.carol)
        statuses = [client.get("/api/v1/me").status_code for _ in range(4)]
        response = client.get("/api/v1/me")
    finally:
        UserRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert statuses[:3] == [200, 200, 200]
    assert_error_shape(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_html_pages_keep_html_errors(client: Any) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
