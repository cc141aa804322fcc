"""Two-factor authentication in Chromium: a manager of a brand that asks for it is told why,
sets up an authenticator app and is let back in; on a laptop and on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.mfa import totp_code
from marketplace import demo, services
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_advocate_flow import no_sideways_overflow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def set_up_the_app(page: Any, base: str, name: str) -> None:
    """From the "needed" page: confirm the password, scan (read) the secret, type a code."""
    page.click("text=Set up an authenticator app")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", demo.DEMO_PASSWORD)
        page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.locator("img[alt]").first.is_visible()  # the QR code
    screenshot(page, name)
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/totp/activate/" not in url)


@pytest.mark.parametrize(
    ("device", "email", "suffix"),
    [("page", "maya@acme.example", ""), ("phone", "quinn@acme.example", "-phone")],
)
def test_staff_of_a_brand_that_asks_for_it_set_up_two_factor(
    request: Any, live_server: Any, cast: Any, device: str, email: str, suffix: str
) -> None:
    page = request.getfixturevalue(device)
    base = live_server.url
    services.brand_update(brand=cast.acme, actor=cast.sam, require_staff_mfa=True)

    log_in(page, base, email)

    page.wait_for_url("**/accounts/2fa/required/**")
    text = page.locator(".auth-box").inner_text()
    assert "Acme Outdoors asks it of everyone on its staff" in text
    assert no_sideways_overflow(page) == []
    screenshot(page, f"mfa-required{suffix}")

    set_up_the_app(page, base, f"mfa-setup{suffix}")

    page.goto(f"{base}/brands/acme/manage/")
    assert page.locator("h1").first.inner_text().startswith("Acme Outdoors")
    assert no_sideways_overflow(page) == []


def test_the_owner_signs_in_with_a_code_and_finds_the_switch(
    page: Any, live_server: Any, cast: Any
) -> None:
    log_in(page, live_server.url, "sam@acme.example")  # types the code when asked

    page.goto(f"{live_server.url}/brands/acme/manage/")
    page.check("input[name=require_staff_mfa]")
    page.click("#team button[type=submit]")
    assert "Everyone on the staff now needs" in page.locator(".message.success").inner_text()
    page.locator("#team").scroll_into_view_if_needed()
    screenshot(page, "mfa-team-switch")
