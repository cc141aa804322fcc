"""Two-factor authentication (issue 11): anyone may turn it on; brand owners, the staff of
brands that ask for it and site admins must, and until they do their staff pages, staff API
and the admin stay closed. Every change and every wrong code is in the audit log.

These tests sign in through the real pages and compute codes with allauth's own TOTP
functions (``gigcx.mfa.totp_code``), as an authenticator app would."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client

from gigcx.accounts import user_create, user_totp_enrol
from gigcx.mfa import totp_code
from gigcx.models import AuditEvent, User
from marketplace import demo, services
from marketplace.models import Brand

# allauth sends its MFA signals (which write the audit lines and confirm the session) after
# its own transaction commits, as in production: so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = demo.DEMO_PASSWORD


def sign_in(email: str, password: str = PASSWORD) -> tuple[Client, Any]:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content
    return client, response


def is_signed_in(client: Client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def activate_totp(client: Client) -> str:
    """Set up an authenticator app on the account page; returns the secret it showed."""
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302:  # allauth asks for the password again first
        assert page["Location"].startswith("/accounts/reauthenticate/")
        confirmed = client.post(page["Location"], {"password": PASSWORD})
        assert confirmed.status_code == 302, confirmed.content
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.content.decode()  # shown for typing into an app
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302, done.content
    # A code is accepted once; a person would wait for the next one, the test forgets it.
    cache.clear()
    return secret


def test_a_customer_turns_on_an_authenticator_app_and_the_next_login_asks_for_a_code(
    cast: Any,
) -> None:
    # given: Carol, signed in, sets up the app on her account pages
    client, _ = sign_in("carol@example.com")
    assert "Two-factor authentication" in client.get("/accounts/2fa/").content.decode()
    secret = activate_totp(client)
    assert Authenticator.objects.filter(user=cast.carol, type="totp").exists()
    added = AuditEvent.objects.filter(action="mfa.added", actor=cast.carol)
    assert {event.data["type"] for event in added} == {"totp", "recovery_codes"}

    # when: she signs in again, the password alone is not enough
    browser, response = sign_in("carol@example.com")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not is_signed_in(browser)

    # a wrong code is refused and audited, and she is still out
    wrong = browser.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    assert not is_signed_in(browser)
    failed = AuditEvent.objects.get(action="mfa.failed")
    assert (failed.actor, failed.ip, failed.data["type"]) == (cast.carol, "127.0.0.1", "totp")

    # then: the app's code lets her in
    right = browser.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert right.status_code == 302
    assert is_signed_in(browser)


def test_new_recovery_codes_and_turning_the_app_off_are_audited(cast: Any) -> None:
    client, _ = sign_in("carol@example.com")
    activate_totp(client)

    made = client.post("/accounts/2fa/recovery-codes/generate/")
    assert made.status_code == 302
    assert AuditEvent.objects.filter(action="mfa.reset", actor=cast.carol).count() == 1

    off = client.post("/accounts/2fa/totp/deactivate/")
    assert off.status_code == 302
    assert not Authenticator.objects.filter(user=cast.carol).exists()
    removed = AuditEvent.objects.filter(action="mfa.removed", actor=cast.carol)
    assert {event.data["type"] for event in removed} == {"totp", "recovery_codes"}


def test_an_owner_without_mfa_is_sent_to_set_it_up_and_the_staff_api_refuses_them(
    cast: Any, api: Any
) -> None:
    # given: Olive owns a brand and has no authenticator app
    olive = user_create(email="olive@example.com", password=PASSWORD, verified=True)
    brand = services.brand_create(owner=olive, name="Olive Outfitters", slug="olive")
    _key, plain = services.api_key_create(brand=brand, name="shop", actor=olive)

    # when: she signs in, she is sent to the explanation at once
    client, response = sign_in("olive@example.com")
    assert response["Location"].startswith("/accounts/2fa/required/")
    page = client.get(response["Location"]).content.decode()
    assert "you own Olive Outfitters" in page
    assert "/accounts/2fa/totp/activate/" in page

    # then: the manage pages send her there too, and save nothing
    manage = client.get("/brands/olive/manage/")
    assert manage.status_code == 302
    assert manage["Location"] == "/accounts/2fa/required/?next=%2Fbrands%2Folive%2Fmanage%2F"
    added = client.post(
        "/brands/olive/manage/products/", {"product-name": "Rain Shell", "product-sku": "RS1"}
    )
    assert added.status_code == 302
    assert "/accounts/2fa/required/" in added["Location"]
    assert not brand.products.exists()

    # and the staff API answers 403 naming what to do (not 404: she is on the staff)
    api.force_login(olive)
    refused = api.get("/api/v1/brands/olive/experts")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "mfa_required"
    assert "/accounts/2fa/" in refused.json()["error"]["message"]
    patched = api.patch("/api/v1/brands/olive", {"tagline": "x"}, format="json")
    assert patched.status_code == 403
    assert Brand.objects.get(pk=brand.pk).tagline == ""

    # brand API keys are integrations, not people: unaffected
    api.logout()
    by_key = api.get("/api/v1/brands/olive/experts", HTTP_AUTHORIZATION=f"Api-Key {plain}")
    assert by_key.status_code == 200

    # and when she sets up the app, in the same session, the pages open
    activate_totp(client)
    assert client.get("/brands/olive/manage/").status_code == 200
    assert client.get("/api/v1/brands/olive/experts").status_code == 200


def test_an_owner_with_the_app_signs_in_with_a_code_and_reaches_the_dashboard(cast: Any) -> None:
    client, response = sign_in("sam@acme.example")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/brands/acme/manage/").status_code == 302  # not signed in yet

    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(demo.DEMO_TOTP_SECRET)})

    assert done.status_code == 302
    assert "/accounts/2fa/required/" not in done["Location"]
    assert client.get("/brands/acme/manage/").status_code == 200


def test_the_brand_setting_makes_managers_need_it_too(cast: Any, api_as: Any) -> None:
    # given: Maya (manager, no app) works as usual while the brand does not ask for it
    maya, _ = sign_in("maya@acme.example")
    assert maya.get("/brands/acme/manage/").status_code == 200
    dashboard = maya.get("/brands/acme/manage/").content.decode()
    assert 'name="require_staff_mfa"' not in dashboard  # the owner's switch

    # a manager cannot flip the switch, by form or by API
    maya.post("/brands/acme/manage/security/", {"require_staff_mfa": "on"})
    api = api_as(cast.maya)
    refused = api.patch("/api/v1/brands/acme", {"require_staff_mfa": True}, format="json")
    assert refused.status_code == 403
    assert "Only an owner" in refused.json()["error"]["message"]
    assert Brand.objects.get(pk=cast.acme.pk).require_staff_mfa is False

    # when: Sam, the owner, turns it on from the dashboard
    sam = Client()
    sam.force_login(cast.sam)
    board = sam.get("/brands/acme/manage/").content.decode()
    assert 'name="require_staff_mfa"' in board
    # the owner sees who the switch would stop
    assert re.search(r"Maya Lind\s*<span[^>]*>· no two-factor", board)
    assert re.search(r"Sam Porter\s*<span[^>]*>· two-factor on", board)
    saved = sam.post("/brands/acme/manage/security/", {"require_staff_mfa": "on"})
    assert saved.status_code == 302
    assert Brand.objects.get(pk=cast.acme.pk).require_staff_mfa is True
    event = AuditEvent.objects.filter(action="brand.updated", brand_id=cast.acme.pk).last()
    assert event is not None
    assert event.data["after"] == {"require_staff_mfa": True}

    # then: Maya's next request is sent to set it up, with the brand named as the reason
    blocked = maya.get("/brands/acme/manage/queue/")
    assert blocked.status_code == 302
    assert "/accounts/2fa/required/" in blocked["Location"]
    page = maya.get(blocked["Location"]).content.decode()
    assert "Acme Outdoors asks it of everyone on its staff" in page
    assert api_as(cast.maya).get("/api/v1/brands/acme/experts").status_code == 403
    # Quinn (QA) likewise; Northwind's owner Nora is unaffected by Acme's setting
    assert api_as(cast.quinn).get("/api/v1/brands/acme/experts").status_code == 403
    assert api_as(cast.nora).get("/api/v1/brands/northwind/experts").status_code == 200

    # and once Maya has the app, she is back
    activate_totp(maya)
    assert maya.get("/brands/acme/manage/queue/").status_code == 200


def test_the_admin_needs_a_session_confirmed_with_a_second_factor(db: Any) -> None:
    root = User.objects.create_superuser(email="root@gigcx.example", password="a-long-admin-pass")
    admin = Client()
    login = admin.post(
        "/admin/login/?next=/admin/",
        {"username": "root@gigcx.example", "password": "a-long-admin-pass"},
    )
    assert login.status_code == 302

    # without an authenticator app: sent to set one up
    refused = admin.get("/admin/gigcx/auditevent/")
    assert refused.status_code == 302
    assert refused["Location"].startswith("/accounts/2fa/required/")
    assert "you are a site administrator" in admin.get(refused["Location"]).content.decode()

    # with one, a password-only session (the admin's own login form) still is not enough
    user_totp_enrol(user=root, secret=demo.DEMO_TOTP_SECRET)
    assert admin.get("/admin/").status_code == 302
    page = admin.get("/accounts/2fa/required/?next=/admin/").content.decode()
    assert "/accounts/2fa/reauthenticate/?next=/admin/" in page

    # entering a code confirms the session
    wrong = admin.post("/accounts/2fa/reauthenticate/?next=/admin/", {"code": "123456"})
    assert wrong.status_code == 200
    assert AuditEvent.objects.filter(action="mfa.failed", actor=root).exists()
    confirmed = admin.post(
        "/accounts/2fa/reauthenticate/?next=/admin/", {"code": totp_code(demo.DEMO_TOTP_SECRET)}
    )
    assert confirmed.status_code == 302
    assert admin.get("/admin/").status_code == 200
    assert admin.get("/admin/gigcx/auditevent/").status_code == 200


def test_an_owner_keeps_customer_pages_while_waiting_for_the_app(cast: Any) -> None:
    olive = user_create(email="olive@example.com", password=PASSWORD, verified=True)
    services.brand_create(owner=olive, name="Olive Outfitters", slug="olive")
    client, _ = sign_in("olive@example.com")

    assert client.get("/brands/acme/").status_code == 200  # another brand's public page
    assert client.get("/customer/").status_code == 200
    # her brand stays in the menu, leading to the explanation
    assert "/brands/olive/manage/" in client.get("/customer/").content.decode()


def test_the_explanation_page_tells_a_customer_nothing_is_required(cast: Any) -> None:
    client, _ = sign_in("carol@example.com")

    page = client.get("/accounts/2fa/required/?next=https://evil.example/").content.decode()

    assert "does not need a second step" in page
    # only local addresses are followed: nothing on the page leads there; the one mention
    # is the footer's language switcher keeping this page's own address to come back to
    kept = 'name="next" value="/accounts/2fa/required/?next=https://evil.example/"'
    assert page.count("evil.example") == page.count(kept) == 1


def test_an_app_session_token_of_an_owner_needs_the_code_too(cast: Any, api: Any) -> None:
    app = "/_allauth/app/v1"
    started = api.post(
        f"{app}/auth/login", {"email": "sam@acme.example", "password": PASSWORD}, format="json"
    )
    assert started.status_code == 401  # a flow is pending: the second factor
    token = started.json()["meta"]["session_token"]
    pending = [flow["id"] for flow in started.json()["data"]["flows"] if flow.get("is_pending")]
    assert pending == ["mfa_authenticate"]

    done = api.post(
        f"{app}/auth/2fa/authenticate",
        {"code": totp_code(demo.DEMO_TOTP_SECRET)},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert done.status_code == 200, done.content
    token = done.json()["meta"]["session_token"]
    experts = api.get("/api/v1/brands/acme/experts", HTTP_X_SESSION_TOKEN=token)
    assert experts.status_code == 200


def test_the_load_scripts_sign_the_owner_in_with_their_own_code(
    cast: Any, api: Any, monkeypatch: Any
) -> None:
    # bench/soak.py and bench/chaos.py run outside Django and compute the code themselves
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "bench"))
    from second_factor import MFA_AUTHENTICATE, demo_code, needs_code

    started = api.post(
        "/_allauth/app/v1/auth/login",
        {"email": "sam@acme.example", "password": PASSWORD},
        format="json",
    )
    assert needs_code(started.status_code, started.json())
    assert demo_code() == totp_code(demo.DEMO_TOTP_SECRET)

    done = api.post(
        MFA_AUTHENTICATE,
        {"code": demo_code()},
        format="json",
        HTTP_X_SESSION_TOKEN=started.json()["meta"]["session_token"],
    )

    assert done.status_code == 200


def test_the_explanation_page_tells_a_confirmed_owner_all_is_well(cast: Any) -> None:
    client = Client()
    client.force_login(cast.sam)  # a finished sign-in, code included

    page = client.get("/accounts/2fa/required/?next=/brands/acme/manage/").content.decode()

    assert "This session is confirmed" in page
    assert 'href="/brands/acme/manage/"' in page
