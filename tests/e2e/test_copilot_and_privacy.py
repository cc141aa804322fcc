"""In Chromium: the expert's copilot puts a draft in her reply box (it sends nothing by
itself); the ask page and the widget say replies may be automated and tone is read, with an
opt-out and a link to the privacy page; an automated answer shows its source and the switch
to a person."""

from __future__ import annotations

from typing import Any

import pytest

from routing import demo, services
from routing.models import CopilotDraft, Message, Question
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_widget import shop_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _assigned_to_ada(cast: Any, body: str) -> Question:
    question, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body=body,
        product_id=cast.trail_shoe.pk,
        preference=Question.Preference.EXPERT,
    )
    question.refresh_from_db()
    if question.status == Question.Status.NEW:  # triage did not run in place
        services.question_send_to_experts(question=question)
    offer = question.assignments.filter(status="offered").first()
    if offer is None:
        offer = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    return Question.objects.get(pk=question.pk)


def test_the_expert_uses_the_copilot_draft_edits_it_and_sends_it(
    page: Any, live_server: Any, cast: Any
) -> None:
    # given: Acme's FAQ, a muddy-shoes question Ada answered before, and a new one for her
    base = live_server.url
    demo.seed(brand=cast.acme, actor=cast.sam, created=[])
    services.presence_set(user=cast.ada, status="online")
    earlier = _assigned_to_ada(cast, "What is the best way to wash my trail shoes?")
    services.message_post(
        question=earlier,
        author=cast.ada,
        role="expert",
        body="I clean mine after every muddy run: knock the dirt off, brush them under lukewarm "
        "water, and stuff them with newspaper overnight so they keep their shape.",
    )
    services.question_resolve(question_id=earlier.pk, actor=cast.ada)
    question = _assigned_to_ada(cast, "How do I clean them after a muddy trail run?")

    # when: Ada opens the conversation
    log_in(page, base, "ada@example.com")
    page.goto(f"{base}/questions/{question.pk}/")
    page.wait_for_selector("#copilot >> text=Draft reply")
    assert page.locator("#copilot-entries li").count() >= 1
    screenshot(page, "copilot-panel")

    # "Use draft" fills her box and sends nothing
    page.click("#copilot-use")
    box = page.locator("#composer-body")
    assert box.input_value().startswith("Hi, thanks for your question")
    assert "brush them under lukewarm water" in box.input_value()
    assert not Message.objects.filter(question=question, role="expert").exists()
    screenshot(page, "copilot-draft-in-reply-box")

    # she edits it and sends it herself
    box.fill(box.input_value().replace("Does that help?", "Mine still look new after a year."))
    page.click("#composer button[type=submit]")
    page.wait_for_selector(".bubble.expert >> text=Mine still look new")
    sent = Message.objects.get(question=question, role="expert")
    assert sent.author == cast.ada
    draft = CopilotDraft.objects.get(question=question)
    assert draft.message == sent
    assert draft.edited is True

    # staff see how often drafts are used on the Service tab
    page.context.clear_cookies()
    log_in(page, base, "sam@acme.example")
    page.goto(base + "/brands/acme/manage/metrics/")
    page.wait_for_selector("#copilot-usage >> text=1 of 1 offered")
    screenshot(page, "metrics-copilot")


def test_the_ask_page_discloses_automation_and_tone_and_the_customer_opts_out(
    page: Any, live_server: Any, cast: Any
) -> None:
    base = live_server.url
    demo.seed(brand=cast.acme, actor=cast.sam, created=[])
    log_in(page, base, "carol@example.com")
    page.goto(base + "/brands/acme/ask/")
    page.select_option("select[name=product]", label="Trailblazer 2 Trail Shoe")
    page.fill("textarea[name=body]", "How do I clean them?")
    page.uncheck("input[name=tone_analysis]")
    screenshot(page, "ask-disclosure-opt-out")

    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/questions/*/")
    # an automated answer: labelled, its source linked, a person one click away
    page.wait_for_selector(".bubble.ai >> text=Rinse mud off")
    page.reload()
    page.wait_for_selector("#ai-actions button[data-action=human]")
    assert page.locator(".bubble.ai a").count() == 1
    screenshot(page, "automated-answer-with-source-and-switch")
    question = Question.objects.get()
    assert question.tone_analysis is False
    assert question.frustration is None

    # the privacy page is one click from the footer
    page.click("footer >> text=Privacy")
    page.wait_for_selector("h1 >> text=Your data on GigCX")
    screenshot(page, "privacy")


def test_the_widget_discloses_and_sends_the_opt_out(page: Any, live_server: Any, cast: Any) -> None:
    demo.seed(brand=cast.acme, actor=cast.sam, created=[])
    script = f"{live_server.url}/static/js/widget.js"
    shop = f"<h1>Acme shop</h1><script src='{script}' data-brand='acme' async></script>"
    with shop_server(shop) as shop_url:
        page.goto(shop_url)
        page.click("text=Ask an expert")
        frame = page.frame_locator("iframe[title='Ask an expert']")
        frame.locator("#disclosure >> text=Replies may be automated").wait_for()
        frame.locator("select[name=product]").select_option(label="Trailblazer 2 Trail Shoe")
        frame.locator("textarea[name=body]").fill("How do I clean them?")
        frame.locator("input[name=contact_email]").fill("visitor@example.com")
        frame.locator("input[name=tone_analysis]").uncheck()
        screenshot(page, "widget-disclosure")
        frame.locator("button[type=submit]").click()
        frame.locator(".bubble.ai >> text=Automated answer").first.wait_for()
        # the answer names its source, and a person is one click away inside the widget too
        frame.locator("#ai-actions button[data-action=human]").scroll_into_view_if_needed()
        assert frame.locator(".bubble.ai a").count() == 1
        screenshot(page, "widget-automated-answer")

    question = Question.objects.get()
    assert question.tone_analysis is False
    assert question.frustration is None
