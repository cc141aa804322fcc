"""Browser test: the webhooks pages in German on a laptop and a phone, with a delivery log
(one delivered, one failed). German words are longer; nothing may spill out of the page."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.models import WebhookEndpoint
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_webhooks_page import log  # noqa: F401 - the endpoint-with-a-log fixture
from tests.integrations.conftest import receiver  # noqa: F401 - the local receiver fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def fits_the_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("device", ["page", "phone"])
def test_the_webhooks_pages_in_german(
    device: str,
    request: Any,
    live_server: Any,
    cast: Any,
    log: WebhookEndpoint,  # noqa: F811
) -> None:
    # given: the owner, whose browser asks for German
    tab = request.getfixturevalue(device)
    tab.set_extra_http_headers(GERMAN)
    log_in(tab, live_server.url, "sam@acme.example")
    suffix = "" if device == "page" else "-phone"

    # when / then: the list with the form to add an endpoint
    tab.goto(f"{live_server.url}/brands/acme/manage/webhooks/")
    main = tab.locator("main").inner_text()
    assert tab.locator("html").get_attribute("lang") == "de"
    assert "Endpunkt hinzufügen" in main
    assert "Ein Kunde hat eine Frage gestellt" in main
    assert "Add an endpoint" not in main
    assert fits_the_width(tab)
    screenshot(tab, f"german-webhooks{suffix}")

    # and an endpoint's page with its delivery log
    tab.goto(f"{live_server.url}/brands/acme/manage/webhooks/{log.pk}/")
    main = tab.locator("main").inner_text()
    assert "Zustellprotokoll" in main
    assert "Signaturgeheimnis" in main
    assert "Erneut senden" in main
    assert "Delivery log" not in main
    assert fits_the_width(tab)
    screenshot(tab, f"german-webhook-detail{suffix}")
