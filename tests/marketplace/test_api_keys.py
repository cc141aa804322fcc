"""Brand API keys: shown once, stored hashed, scoped to their brand, revocable."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import BrandApiKey

pytestmark = pytest.mark.django_db


def create_key(api_as: Any, user: Any) -> dict[str, Any]:
    response = api_as(user).post(
        "/api/v1/brands/acme/api-keys", {"name": "Helpdesk"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_key_is_shown_once_and_stored_only_as_a_hash(cast: Any, api_as: Any) -> None:
    body = create_key(api_as, cast.sam)

    key = BrandApiKey.objects.get(pk=body["id"])
    secret = body["key"].split(".", 1)[1]
    assert secret not in key.key_hash
    assert key.key_hash == BrandApiKey.hash_secret(secret)
    listed = api_as(cast.sam).get("/api/v1/brands/acme/api-keys").json()["results"]
    assert "key" not in listed[0]


def test_an_integration_acts_for_its_brand_only(cast: Any, api: Any, api_as: Any) -> None:
    plain = create_key(api_as, cast.sam)["key"]
    api.logout()
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {plain}"}

    me = api.get("/api/v1/me", **auth)
    created = api.post("/api/v1/brands/acme/products", {"name": "Via API"}, format="json", **auth)
    foreign = api.get("/api/v1/brands/northwind/experts", **auth)
    own = api.get("/api/v1/brands/acme/experts", **auth)
    mint = api.post("/api/v1/brands/acme/api-keys", {"name": "more"}, format="json", **auth)

    assert me.status_code == 200
    assert me.json()["roles"] == ["integration"]
    assert created.status_code == 201
    assert foreign.status_code == 404
    assert own.status_code == 200
    assert mint.status_code == 403  # keys cannot mint keys
    assert BrandApiKey.objects.count() == 1


def test_revoked_and_wrong_keys_are_401(cast: Any, api: Any, api_as: Any) -> None:
    body = create_key(api_as, cast.sam)
    revoke = api_as(cast.sam).delete(f"/api/v1/brands/acme/api-keys/{body['id']}")
    assert revoke.status_code == 200
    assert revoke.json()["revoked_at"]
    api.logout()

    revoked = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Api-Key {body['key']}")
    wrong = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Api-Key {body['key'][:-2]}xx")
    garbage = api.get("/api/v1/me", HTTP_AUTHORIZATION="Api-Key")

    for response in (revoked, wrong, garbage):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"


def test_quality_reviewers_cannot_see_or_create_keys(cast: Any, api_as: Any) -> None:
    client = api_as(cast.quinn)
    assert client.get("/api/v1/brands/acme/api-keys").status_code == 403
    assert (
        client.post("/api/v1/brands/acme/api-keys", {"name": "x"}, format="json").status_code == 403
    )
    assert BrandApiKey.objects.count() == 0
