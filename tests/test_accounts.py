"""Accounts through django-allauth: web pages and the headless app API (X-Session-Token)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from gigcx.models import User

pytestmark = pytest.mark.django_db

APP = "/_allauth/app/v1"
STRONG = "a long enough passphrase 42"


def confirmation_key(message: Any) -> str:
    match = re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_web_signup_requires_email_verification_before_login(client: Any) -> None:
    # when
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": STRONG, "password2": STRONG},
    )
    # then: no session yet, a confirmation mail instead
    assert response.status_code == 302
    assert "/accounts/confirm-email/" in response["Location"]
    assert len(mail.outbox) == 1
    assert client.get("/customer/").status_code == 302  # not logged in

    login = client.post("/accounts/login/", {"login": "new@example.com", "password": STRONG})
    assert "/accounts/confirm-email/" in login["Location"]

    # a GET of the link does not confirm (mail scanners follow links)
    key = confirmation_key(mail.outbox[-1])
    client.get(f"/accounts/confirm-email/{key}/")
    assert not User.objects.get(email="new@example.com").emailaddress_set.get().verified
    client.post(f"/accounts/confirm-email/{key}/")
    assert User.objects.get(email="new@example.com").emailaddress_set.get().verified
    assert client.get("/customer/").status_code == 200


def test_signup_form_shows_errors_beside_the_fields(client: Any) -> None:
    response = client.post(
        "/accounts/signup/", {"email": "not-an-email", "password1": "short", "password2": "other"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field has-error"' in html
    assert 'id="id_email-errors"' in html
    assert "Enter a valid email address." in html
    assert User.objects.count() == 0


def test_headless_app_signup_verify_and_use_the_session_token(api: Any) -> None:
    # given: signing up through the app API
    response = api.post(
        f"{APP}/auth/signup", {"email": "app@example.com", "password": STRONG}, format="json"
    )
    assert response.status_code == 401  # pending flow: verify_email
    body = response.json()
    token = body["meta"]["session_token"]
    assert any(
        flow["id"] == "verify_email" and flow.get("is_pending") for flow in body["data"]["flows"]
    )

    # the token is not a login until the address is verified
    assert api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401

    # when
    key = confirmation_key(mail.outbox[-1])
    verified = api.post(
        f"{APP}/auth/email/verify", {"key": key}, format="json", HTTP_X_SESSION_TOKEN=token
    )

    # then
    assert verified.status_code == 200, verified.content
    # logging in rotates the token (no session fixation): the pre-verification one is dead
    assert api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401
    token = verified.json()["meta"]["session_token"]
    me = api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200
    assert me.json()["email"] == "app@example.com"
    assert me.json()["roles"] == ["customer"]

    # and logging out kills the token
    assert api.delete(f"{APP}/auth/session", HTTP_X_SESSION_TOKEN=token).status_code == 401
    assert api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_headless_login_of_a_verified_user_returns_a_token(cast: Any, api: Any) -> None:
    response = api.post(
        f"{APP}/auth/login",
        {"email": "ada@example.com", "password": "gigcx-demo-2026"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]

    me = api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).json()

    assert me["roles"] == ["customer", "expert"]
    assert me["expert_in"] == [
        {"brand": "acme", "brand_name": "Acme Outdoors", "status": "approved", "tier": "new"}
    ]


def test_wrong_password_is_refused_without_saying_whether_the_account_exists(
    cast: Any, api: Any
) -> None:
    known = api.post(
        f"{APP}/auth/login", {"email": "ada@example.com", "password": "wrong-one-1"}, format="json"
    )
    unknown = api.post(
        f"{APP}/auth/login",
        {"email": "nobody@example.com", "password": "wrong-one-1"},
        format="json",
    )
    assert known.status_code == unknown.status_code == 400
    assert known.json()["errors"] == unknown.json()["errors"]


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(
    cast: Any, client: Any
) -> None:
    known = client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 2  # the unknown address is told no account exists
    assert "reset" in mail.outbox[0].body.lower()


def test_me_for_brand_staff_lists_memberships(cast: Any, api_as: Any) -> None:
    me = api_as(cast.maya).get("/api/v1/me").json()
    assert me["roles"] == ["customer", "brand_staff"]
    assert me["staff_of"] == [{"brand": "acme", "brand_name": "Acme Outdoors", "role": "manager"}]


def test_web_pages_need_login(client: Any) -> None:
    for url in ("/customer/", "/expert/", "/brands/new/", "/brands/acme/manage/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")
