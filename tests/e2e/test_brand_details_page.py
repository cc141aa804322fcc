"""Browser test: a manager edits the brand's details; the page read on a laptop and a phone."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import Brand
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_edits_the_brand_details(
    page: Any, phone: Any, live_server: Any, cast: Any
) -> None:
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/")
    page.click("#brand-details-link")
    page.fill("#id_tagline", "Gear for wet weekends")
    page.fill("#id_website", "https://acme.example")
    screenshot(page, "brand-details")
    page.click("#brand-details-form button[type=submit]")
    page.wait_for_selector(".messages :text('Saved')")
    assert Brand.objects.get(slug="acme").tagline == "Gear for wet weekends"

    log_in(phone, live_server.url, "maya@acme.example")
    phone.goto(f"{live_server.url}/brands/acme/manage/details/")
    assert phone.input_value("#id_tagline") == "Gear for wet weekends"
    screenshot(phone, "brand-details-phone")
