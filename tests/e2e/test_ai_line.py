"""The README tour in Chromium: "How do I clean them?" about the Trailblazer 2 is answered at
once, labelled, with its source linked; "Did that help?" is recorded; staff see the record."""

from __future__ import annotations

from typing import Any

import pytest

from routing import demo
from routing.models import AutoAnswer, Question
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_tour_question_is_answered_with_its_source_and_feedback(
    page: Any, live_server: Any, cast: Any
) -> None:
    base = live_server.url
    demo.seed(brand=cast.acme, actor=cast.sam, created=[])

    # Carol asks the README's tour question about the Trailblazer 2
    log_in(page, base, "carol@example.com")
    page.goto(base + "/brands/acme/ask/")
    page.select_option("select[name=product]", label="Trailblazer 2 Trail Shoe")
    page.fill("textarea[name=body]", "How do I clean them?")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/questions/*/")

    # the knowledge base answers at once, labelled, naming and linking its source
    page.wait_for_selector(".bubble.ai >> text=Rinse mud off")
    page.reload()
    page.wait_for_selector("#ai-actions button[data-action=helped]")
    assert page.locator(".bubble.ai a").count() == 1
    assert page.locator("button[data-action=human]").is_visible()
    screenshot(page, "ai-answer")

    # "Did that help?" is a real button
    page.click("#ai-actions button[data-action=helped]")
    page.wait_for_selector("#ai-actions >> text=Glad it helped")
    question = Question.objects.get()
    assert AutoAnswer.objects.get(question=question).outcome == "helped"
    screenshot(page, "ai-answer-helped")

    # the source link opens the entry (the link is absolute, on GIGCX_SITE_URL)
    href = page.get_attribute(".bubble.ai a", "href")
    assert "/brands/acme/help/" in href
    page.goto(base + "/brands/acme/help/" + href.split("/brands/acme/help/")[1])
    page.wait_for_selector("h1 >> text=How do I clean the Trailblazer 2?")
    screenshot(page, "knowledge-entry")

    # staff see the threshold and the entry's record on the live queue
    page.context.clear_cookies()
    log_in(page, base, "sam@acme.example")
    page.goto(base + "/brands/acme/manage/queue/")
    page.wait_for_selector("#ai-line >> text=1 so far")
    screenshot(page, "staff-ai-line")
