"""The emailed private link in Chromium: the token in the fragment opens the conversation and
leaves the address bar; without it, the page explains how to get in."""

from __future__ import annotations

from typing import Any

import pytest

from routing import services
from tests.e2e.conftest import screenshot
from tests.e2e.test_advocate_flow import no_sideways_overflow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_mailed_link_opens_the_conversation_and_drops_the_token(
    page: Any, phone: Any, live_server: Any, cast: Any, held_tasks: Any
) -> None:
    question, token = services.question_create(
        brand=cast.acme,
        asked_by=None,
        body="Is the Ridgeline 2P free-standing?",
        product_id=None,
        contact_email="walk.in@example.com",
    )
    base = live_server.url

    page.goto(f"{base}/q/{question.pk}/#t={token}")

    page.wait_for_selector("text=free-standing")
    assert page.url == f"{base}/q/{question.pk}/"
    page.reload()  # the session remembers it
    assert page.locator("text=free-standing").first.is_visible()

    # another browser, without the link: nothing of the conversation, and how to get in
    phone.goto(f"{base}/q/{question.pk}/")
    assert "free-standing" not in phone.content()
    assert "link we emailed you" in phone.locator("main").inner_text()
    assert no_sideways_overflow(phone) == []
    screenshot(phone, "private-link-closed-phone")
