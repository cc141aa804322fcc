"""The plain-language privacy page: what is kept, who sees what, for how long, the tone
opt-out and a contact; linked from every page's footer."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_anyone_can_read_the_privacy_page(client: Any) -> None:
    response = client.get("/privacy/")

    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("What we keep", "Who sees what", "How long", "Tone analysis", "Contact"):
        assert heading in page
    assert "contact details hidden" in page  # experts see redacted text
    assert '"tone_analysis": false' in page
    # only periods the code enforces: the rating link, the quality window, the sign-in
    assert "works for 30 days" in page
    assert "last 180 days" in page
    assert "lasts at most 14 days" in page
    assert "retention setting" in page
    assert "Download or delete your data" in page
    assert "GET /api/v1/me/export" in page


def test_the_export_limit_comes_from_the_settings(client: Any, settings: Any) -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "data_export": "5/hour"},
    }

    page = client.get("/privacy/").content.decode()

    assert "You can download it 5 times an hour." in page


def test_the_contact_address_comes_from_the_settings(client: Any, settings: Any) -> None:
    settings.GIGCX_PRIVACY_EMAIL = "dpo@acme.example"

    page = client.get("/privacy/").content.decode()

    assert 'href="mailto:dpo@acme.example"' in page


def test_every_page_links_to_it_from_the_footer(client: Any) -> None:
    page = client.get("/").content.decode()

    footer = page[page.index('<footer class="site-footer">') :]
    assert 'href="/privacy/"' in footer


def test_it_is_a_page_to_read_not_to_post_to(client: Any) -> None:
    assert client.post("/privacy/").status_code == 405
