"""Two browsers, one question: the customer asks, the expert's console shows the offer
without reloading, they talk, the customer sees replies live, the expert resolves."""

from __future__ import annotations

from typing import Any

import pytest

from routing.models import Assignment, Question
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ask_offer_accept_chat_resolve_across_two_browsers(
    browser: Any, watch_csp: Any, live_server: Any, cast: Any, online: Any
) -> None:
    base = live_server.url
    expert = watch_csp(browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    customer = watch_csp(browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    for page in (expert, customer):
        page.set_default_timeout(15_000)

    # the expert is online with the console open
    log_in(expert, base, "ada@example.com")
    expert.goto(base + "/expert/console/")
    expert.click("button[name=status][value=online]")
    expert.wait_for_selector("text=No offers right now")
    screenshot(expert, "expert-console-online")

    # the customer asks for an expert
    log_in(customer, base, "carol@example.com")
    customer.goto(base + "/brands/acme/ask/")
    screenshot(customer, "ask")
    customer.select_option("select[name=product]", label="Trailblazer 2 Trail Shoe")
    customer.fill(
        "textarea[name=body]", "Do the Trailblazer 2 run narrow? Mail me at carol@example.com"
    )
    customer.check("input[name=preference][value=expert]")
    customer.click("form.stacked button[type=submit]")
    customer.wait_for_url("**/questions/*/")

    # the offer reaches the console without a reload, contact details hidden
    offer = expert.wait_for_selector("#offers .offer")
    assert "[email]" in offer.inner_text()
    assert "carol@example.com" not in offer.inner_text()
    screenshot(expert, "expert-console-offer")
    expert.click("#offers button[data-action=accept]")
    expert.wait_for_url("**/questions/*/")
    question = Question.objects.get()
    assert Assignment.objects.get(question=question, status="accepted").expert.user == cast.ada

    # they talk; each side sees the other's message without reloading
    expert.fill("#composer textarea", "They run half a size small; go up half a size.")
    expert.click("#composer button[type=submit]")
    customer.wait_for_selector(".bubble.expert >> text=half a size small")
    customer.wait_for_selector("#expert-card >> text=Ada Lovelace")
    customer.fill("#composer textarea", "Thanks, that helps!")
    customer.click("#composer button[type=submit]")
    expert.wait_for_selector(".bubble.customer >> text=that helps")
    screenshot(customer, "conversation-customer")
    screenshot(expert, "conversation-expert")

    # the expert resolves; the customer's page shows it
    expert.click("button[data-action=resolve]")
    customer.wait_for_selector("#question-status >> text=Resolved")
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED
    expert.context.close()
    customer.context.close()
