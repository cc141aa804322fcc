"""The surges pages in a German browser (issue 13): the list and an alert read in German on
a desktop and a phone, and the longer German words do not push the page sideways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import log_in, no_sideways_scroll, screenshot
from tests.e2e.test_surge_pages import raised

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _tfidf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "tfidf")


def test_a_manager_reads_the_surges_pages_in_german(
    german: tuple[Any, str], live_server: Any, cast: Any
) -> None:
    page, suffix = german
    incident = raised(cast)
    log_in(page, live_server.url, "maya@acme.example")

    page.goto(f"{live_server.url}/brands/acme/manage/surges/")
    assert page.locator("h1").inner_text() == "Ansturm"
    assert page.get_by_text("Braucht eine Entscheidung").is_visible()
    assert page.get_by_text("Personalengpässe").is_visible()
    assert "Needs a decision" not in page.content()
    no_sideways_scroll(page)
    screenshot(page, f"surges-de{suffix}")

    page.goto(f"{live_server.url}/brands/acme/manage/surges/{incident.pk}/")
    assert "Kunden fragen nach demselben Problem" in page.locator("h1").inner_text()
    for text in ("So wurde gefragt", "Bisher beste Expertenantwort", "Hinweis veröffentlichen"):
        assert page.get_by_text(text).first.is_visible(), text
    assert "Publish the notice" not in page.content()
    no_sideways_scroll(page)
    screenshot(page, f"surge-detail-de{suffix}")
