"""Sessions end on a password change, and logins, failed logins, password changes and denied
access are in the audit log with who, what, when and the client address (issue 11)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from gigcx.accounts import user_totp_enrol
from gigcx.models import AuditEvent, User
from marketplace import demo
from marketplace.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

APP = "/_allauth/app/v1"
NEW_PASSWORD = "a-Brand-new-pass-42"


def signed_in(email: str, password: str = DEMO_PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content
    return client


def app_token(api: Any, email: str, password: str = DEMO_PASSWORD) -> str:
    response = api.post(f"{APP}/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def is_signed_in(client: Client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_changing_the_password_ends_every_other_session(cast: Any, api: Any) -> None:
    here = signed_in("carol@example.com")
    laptop = signed_in("carol@example.com")
    token = app_token(api, "carol@example.com")
    assert is_signed_in(laptop)
    assert api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200

    changed = here.post(
        "/accounts/password/change/",
        {"oldpassword": DEMO_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    assert is_signed_in(here)  # the session that changed it stays
    assert not is_signed_in(laptop)
    assert api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert (event.actor, event.ip) == (cast.carol, "127.0.0.1")


def test_resetting_the_password_ends_every_session(
    cast: Any, api: Any, client: Any, mailoutbox: list[Any]
) -> None:
    laptop = signed_in("carol@example.com")
    token = app_token(api, "carol@example.com")

    client.post("/accounts/password/reset/", {"email": "carol@example.com"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mailoutbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert User.objects.get(pk=cast.carol.pk).check_password(NEW_PASSWORD)
    assert not is_signed_in(laptop)
    assert api.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401
    assert AuditEvent.objects.filter(action="auth.password_reset", actor=cast.carol).exists()


def test_logins_and_failed_logins_are_audited_without_the_password(cast: Any) -> None:
    signed_in("ada@example.com")
    Client().post(
        "/accounts/login/",
        {"login": "Ada@Example.com", "password": "not-her-password"},
        REMOTE_ADDR="198.51.100.9",
    )

    login = AuditEvent.objects.get(action="auth.login")
    assert (login.actor, login.ip) == (cast.ada, "127.0.0.1")
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.actor is None
    assert failed.ip == "198.51.100.9"
    assert failed.data["login"] == "ada@example.com"
    assert "not-her-password" not in str(failed.data)


def test_the_admin_login_is_audited_too(db: Any, client: Any) -> None:
    User.objects.create_superuser(email="root@gigcx.example", password="a-long-admin-pass")
    client.post("/admin/login/", {"username": "root@gigcx.example", "password": "wrong-1"})
    client.post(
        "/admin/login/", {"username": "root@gigcx.example", "password": "a-long-admin-pass"}
    )

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["auth.login_failed", "auth.login"]


def test_denied_access_to_brand_routes_is_audited(cast: Any, api_as: Any) -> None:
    # a customer at the staff queue, another brand's owner at Acme's payouts and dashboard
    queue = api_as(cast.carol).get("/api/v1/brands/acme/questions")
    batches = api_as(cast.nora).get("/api/v1/brands/acme/payout-batches")
    nora = Client()
    nora.force_login(cast.nora)
    dashboard = nora.get("/brands/acme/manage/")
    # an address no route matches is not an event
    nora.get("/no-such-page/")

    assert queue.status_code in (403, 404)
    assert (batches.status_code, dashboard.status_code) == (404, 404)
    events = list(AuditEvent.objects.filter(action="access.denied").order_by("id"))
    assert [(e.actor, e.data["brand"], e.data["status"]) for e in events] == [
        (cast.carol, "acme", queue.status_code),
        (cast.nora, "acme", 404),
        (cast.nora, "acme", 404),
    ]
    assert events[2].data["path"] == "/brands/acme/manage/"
    assert all(e.brand_id is None for e in events)  # Acme's staff do not read other people


def test_a_scanner_cannot_flood_the_audit_log(cast: Any, client: Any, settings: Any) -> None:
    settings.GIGCX_FORM_RATE_LIMITS = {**settings.GIGCX_FORM_RATE_LIMITS, "audit_denied": "3/min"}
    client.force_login(cast.nora)
    for _ in range(10):
        assert client.get("/brands/acme/manage/").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied").count() == 3


def test_site_admins_browse_the_audit_log_in_the_admin(cast: Any, client: Any) -> None:
    root = User.objects.create_superuser(email="root@gigcx.example", password="a-long-admin-pass")
    user_totp_enrol(user=root, secret=demo.DEMO_TOTP_SECRET)  # the admin needs it (test_mfa)
    Client().post("/accounts/login/", {"login": "carol@example.com", "password": "wrong-pass-1"})
    client.force_login(root)

    page = client.get("/admin/gigcx/auditevent/", {"action__exact": "auth.login_failed"})

    assert page.status_code == 200
    assert "auth.login_failed" in page.content.decode()
    assert "127.0.0.1" in page.content.decode()
    # append-only: no add, no change
    assert client.get("/admin/gigcx/auditevent/add/").status_code == 403


def test_a_token_in_a_refused_address_never_reaches_the_audit_log(cast: Any, client: Any) -> None:
    secret = "Zm9vYmFyLXNlY3JldC10b2tlbi12YWx1ZQ"
    assert client.get(f"/q/12345/{secret}/").status_code == 404
    assert client.get(f"/invitations/{secret}/").status_code in (200, 404)

    events = AuditEvent.objects.filter(action="access.denied")
    assert events.exists()
    assert all(secret not in str(e.data) for e in events)
    assert events.first().data["path"].endswith("/[token]/")
