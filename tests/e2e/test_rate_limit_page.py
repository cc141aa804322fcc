"""Over a form's limit a person sees a short explanation, not an error dump."""

from __future__ import annotations

from typing import Any

import pytest

from routing.models import Question
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_asking_too_often_shows_the_too_many_attempts_page(
    page: Any, live_server: Any, cast: Any, settings: Any, held_tasks: list[Any]
) -> None:
    settings.GIGCX_FORM_RATE_LIMITS = {**settings.GIGCX_FORM_RATE_LIMITS, "ask": "1/min"}
    for n in range(2):
        page.goto(f"{live_server.url}/brands/acme/ask/")
        page.fill("textarea[name=body]", f"Do the Trailblazer 2 run narrow? ({n})")
        page.fill("input[name=contact_email]", "walker@x.example")
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state()

    assert page.locator("h1").inner_text() == "Too many attempts"
    assert page.locator("text=Please try again in").is_visible()
    assert Question.objects.count() == 1
    screenshot(page, "rate-limited")
