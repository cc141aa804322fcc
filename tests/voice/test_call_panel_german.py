"""The call panel on the customer's conversation page, in German: its buttons, the callback
times in the German date format, and the privacy note."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def test_the_customer_sees_the_call_panel_in_german(
    cast: Any, client: Any, ada_works_days: Any, held_tasks: Any
) -> None:
    client.force_login(cast.carol)
    asked = client.post(
        "/brands/acme/ask/",
        {
            "product": cast.trail_shoe.pk,
            "body": "Do the Trailblazer 2 run narrow?",
            "preference": "expert",
            "tone_analysis": "on",
            "talk": "1",
        },
        **GERMAN,
    )
    assert asked.status_code == 302

    page = client.get(asked["Location"], **GERMAN)

    assert page.status_code == 200
    text = page.content.decode()
    assert '<h2 id="call-title">Anruf</h2>' in text
    assert "Jetzt sprechen" in text
    assert "Oder einen Rückruf buchen" in text
    assert "Rückruf buchen</button>" in text
    assert "Nichts wird aufgezeichnet" in text
    assert "Talk now" not in text
    assert "Book a callback" not in text
    # callback times: "2. Dezember 2026 10:00 UTC", not "Wed 2 Dec, 10:00 UTC"
    option = r"<option value=\"[^\"]+\">\d{1,2}\. [A-ZÄÖÜ][a-zä]+ \d{4} \d\d:\d\d UTC"
    assert re.search(option, text)
