"""Browser test: the service figures and the expert's standing in German on a laptop and a
phone. German words are longer than English ones; nothing may spill out of the page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def fits_the_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("device", ["page", "phone"])
def test_the_service_figures_and_the_standing_in_german(
    device: str, request: Any, live_server: Any, cast: Any
) -> None:
    tab = request.getfixturevalue(device)
    tab.set_extra_http_headers(GERMAN)
    suffix = "" if device == "page" else "-phone"

    log_in(tab, live_server.url, "maya@acme.example")
    tab.goto(f"{live_server.url}/brands/acme/manage/metrics/")
    assert tab.locator("html").get_attribute("lang") == "de"
    assert "Was die Zahlen bedeuten" in tab.locator("main").inner_text()
    assert fits_the_width(tab)
    screenshot(tab, f"german-metrics{suffix}")

    tab.context.clear_cookies()
    log_in(tab, live_server.url, "ada@example.com")
    tab.goto(f"{live_server.url}/expert/standing/")
    assert "So funktionieren Punktzahl und Stufen" in tab.locator("main").inner_text()
    assert fits_the_width(tab)
    screenshot(tab, f"german-standing{suffix}")
