"""A German-only brand's page opened by an English browser is German throughout: the
page (the brand's rule), its scripts' catalog and what the API answers its scripts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_german_only_brands_widget_speaks_german_to_an_english_browser(
    browser: Any, watch_csp: Any, live_server: Any, cast: Any
) -> None:
    cast.northwind.languages = ["de"]
    cast.northwind.save(update_fields=["languages"])
    context = watch_csp(browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US"))
    page = context.new_page()
    page.set_default_timeout(10_000)
    sent: list[dict[str, str]] = []
    page.on(
        "request",
        lambda request: sent.append(request.headers) if "/api/v1/" in request.url else None,
    )

    page.goto(f"{live_server.url}/embed/{cast.northwind.slug}/")
    assert page.locator("html").get_attribute("lang") == "de"
    # the catalog the scripts use is the page's
    assert page.evaluate("gettext('Something went wrong.')") == "Etwas ist schiefgelaufen."

    page.locator("textarea[name=body]").fill("Short")
    page.locator("input[name=contact_email]").fill("visitor@example.com")
    page.locator("button[type=submit]").click()
    # the API's answer, shown by the script beside the field, is German too
    page.locator("[data-errors-for=body] >> text=Erzählen Sie uns etwas mehr").wait_for()
    assert sent
    assert sent[-1].get("accept-language") == "de"
    screenshot(page, "widget-german-brand-english-browser")
    context.close()
