"""Browser test: the staff's busiest pages in German on a laptop and a phone. German words
are longer than English ones; nothing may spill out of the page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def fits_the_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("device", ["page", "phone"])
def test_the_dashboard_and_the_pool_in_german(
    device: str, request: Any, live_server: Any, cast: Any
) -> None:
    # given: a manager whose browser asks for German
    tab = request.getfixturevalue(device)
    tab.set_extra_http_headers(GERMAN)
    log_in(tab, live_server.url, "maya@acme.example")
    suffix = "" if device == "page" else "-phone"

    # when / then: the dashboard
    tab.goto(f"{live_server.url}/brands/acme/manage/")
    assert tab.locator("html").get_attribute("lang") == "de"
    assert "Katalog" in tab.locator("main").inner_text()
    assert fits_the_width(tab)
    screenshot(tab, f"german-dashboard{suffix}")

    # and the pool
    tab.goto(f"{live_server.url}/brands/acme/manage/pool/")
    assert "Experten einladen" in tab.locator("main").inner_text()
    assert fits_the_width(tab)
    screenshot(tab, f"german-pool{suffix}")
