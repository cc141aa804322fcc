"""Routing's busiest pages in a German browser (issue 13): the ask page a customer sees and
the staff inbox, on a desktop and a phone, with the JavaScript catalog in German too."""

from __future__ import annotations

from typing import Any

import pytest

from routing import services as routing_services
from tests.e2e.conftest import log_in, no_sideways_scroll, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_german_customer_reads_the_ask_page_in_german(
    german: tuple[Any, str], live_server: Any, cast: Any
) -> None:
    page, suffix = german
    page.goto(f"{live_server.url}/brands/acme/ask/")

    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Acme Outdoors fragen"
    form = page.locator("form.stacked")
    for text in ("Ihre Frage", "Wer soll antworten?", "GigCX entscheiden lassen", "Frage senden"):
        assert form.get_by_text(text).first.is_visible(), text
    assert "Send question" not in page.content()
    # the scripts' words come from the German catalog
    assert page.evaluate("gettext('General question')") == "Allgemeine Frage"
    no_sideways_scroll(page)
    screenshot(page, f"ask-de{suffix}")


def test_brand_staff_read_the_inbox_in_german(
    german: tuple[Any, str], live_server: Any, cast: Any, ask: Any
) -> None:
    page, suffix = german
    ask()  # one waiting question
    routing_services.presence_set(user=cast.ada, status="online")
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/queue/")

    assert page.locator("h1").first.inner_text() == "Posteingang"
    tabs = page.locator("nav.inbox-tabs")
    assert tabs.get_by_text("Wartend").is_visible()
    assert tabs.get_by_text("Bei einem Experten").is_visible()
    assert page.get_by_text("1 Experte online").is_visible()
    assert "Who has it" not in page.content()
    no_sideways_scroll(page)
    screenshot(page, f"inbox-de{suffix}")
