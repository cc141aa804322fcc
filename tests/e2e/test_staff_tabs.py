"""Browser test: the brand staff tab bar fits one row on a laptop, opens its menus with the
keyboard, and shows each role only the pages it can use; looked at on a laptop and a phone."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import BrandMembership
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ROW_TOPS = """() => Array.from(document.querySelectorAll(
  'nav.staff-tabs > a, nav.staff-tabs > details > summary'
)).map(el => Math.round(el.getBoundingClientRect().top))"""


def _labels(page: Any) -> list[str]:
    return [
        text.strip()
        for text in page.locator("nav.staff-tabs a, nav.staff-tabs summary").all_text_contents()
    ]


def test_the_owner_sees_every_page_on_one_row_and_opens_the_menus_by_keyboard(
    page: Any, phone: Any, live_server: Any, cast: Any
) -> None:
    log_in(page, live_server.url, "sam@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/queue/")
    # one row at 1280 px: every tab and menu heading at the same height
    assert len(set(page.evaluate(ROW_TOPS))) == 1
    labels = _labels(page)
    for name in ("Inbox", "Recruiting", "Settings", "Applications", "Payouts", "Webhooks"):
        assert any(label.startswith(name) for label in labels), name
    # the keyboard opens the Settings menu, and its links are reachable
    page.focus("nav.staff-tabs details:last-of-type > summary")
    page.keyboard.press("Enter")
    assert page.locator("nav.staff-tabs details:last-of-type").get_attribute("open") is not None
    screenshot(page, "staff-tabs-owner")
    page.click("nav.staff-tabs >> text=Your notifications")
    page.wait_for_url("**/manage/notifications/")
    page.uncheck("#id_notify_escalation_email")
    page.click("#staff-notifications-form button[type=submit]")
    page.wait_for_selector(".messages :text('Saved')")
    assert not BrandMembership.objects.get(user=cast.sam, brand=cast.acme).notify_escalation_email
    screenshot(page, "staff-notifications")
    # the page inside a menu marks the menu as where she is
    assert "active" in (
        page.locator("nav.staff-tabs details:last-of-type > summary").get_attribute("class") or ""
    )

    log_in(phone, live_server.url, "sam@acme.example")
    phone.goto(f"{live_server.url}/brands/acme/manage/queue/")
    phone.click("nav.staff-tabs details:last-of-type > summary")
    assert phone.locator("nav.staff-tabs >> text=Webhooks").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width})"
    screenshot(phone, "staff-tabs-owner-phone")
    phone.goto(f"{live_server.url}/brands/acme/manage/notifications/")
    assert not phone.is_checked("#id_notify_escalation_email")
    screenshot(phone, "staff-notifications-phone")


def test_a_quality_reviewer_sees_only_the_pages_she_can_use(
    page: Any, phone: Any, live_server: Any, cast: Any
) -> None:
    log_in(page, live_server.url, "quinn@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/reviews/")
    labels = _labels(page)
    for hidden in ("Recruiting", "Applications", "Invitations", "Quizzes", "Payouts", "Webhooks"):
        assert not any(label.startswith(hidden) for label in labels), hidden
    assert len(set(page.evaluate(ROW_TOPS))) == 1
    page.click("nav.staff-tabs details > summary")
    screenshot(page, "staff-tabs-qa")

    log_in(phone, live_server.url, "quinn@acme.example")
    phone.goto(f"{live_server.url}/brands/acme/manage/reviews/")
    phone.click("nav.staff-tabs details > summary")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "staff-tabs-qa-phone")
