"""The knowledge base in the browser: an expert makes her resolved answer a draft entry, the
brand's manager finds it through the gaps, reviews and approves it."""

from __future__ import annotations

from typing import Any

import pytest

from quality import services as quality
from routing import demo
from routing import services as routing
from routing.models import KnowledgeEntry
from tests.e2e.conftest import log_in, screenshot
from tests.routing.test_knowledge_base import resolved_by_ada

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_expert_answer_becomes_an_approved_entry_through_the_pages(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given Acme's demo FAQ, one entry that keeps failing, and questions it could not answer
    demo.seed(brand=cast.acme, actor=cast.sam, created=[])
    failing = KnowledgeEntry.objects.get(question="How long does delivery take?")
    KnowledgeEntry.objects.filter(pk=failing.pk).update(
        shown_count=14, helped_count=3, not_helped_count=8, handed_over_count=3
    )
    KnowledgeEntry.objects.filter(question="How do I clean the Trailblazer 2?").update(
        shown_count=31, helped_count=26, not_helped_count=2, handed_over_count=1
    )
    question = resolved_by_ada(
        cast,
        ask,
        "Do the Trailblazer 2 run small? I wear a 42 in most brands, mail me at carol@example.com",
        [
            "They run about half a size small: most people take a 42.5 or 43.",
            "If you are between sizes or have wide feet, go up a full size.",
        ],
    )
    quality.rating_create(question=question, score=5, solved=True, comment="Perfect, thanks")
    ask("Should I size up in the Trailblazer 2?")
    ask("Does the Trailblazer 2 fit true to size?")
    ask("How do I pitch the Ridgeline tent in strong wind?", product=None)
    ask("Any tips for pitching the Ridgeline when it is very windy?", product=None)

    # when Ada opens her resolved conversation and makes it an FAQ entry
    log_in(page, live_server.url, "ada@example.com")
    page.goto(f"{live_server.url}/questions/{question.pk}/")
    screenshot(page, "knowledge-expert-button")
    page.click("#faq-draft button[type=submit]")
    page.wait_for_selector(".messages :text('draft FAQ entry')")
    screenshot(page, "knowledge-expert-proposed")
    draft = KnowledgeEntry.objects.get(source_question=question)
    assert (draft.status, draft.expert) == ("draft", cast.ada_expert)

    # then Maya sees the gaps, with the draft already linked, and the list
    page.context.clear_cookies()
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/knowledge/gaps/")
    assert page.locator(".card.gap").count() == 2
    assert page.locator(".card.gap").first.locator("text=Open the draft entry").is_visible()
    screenshot(page, "knowledge-gaps")
    page.goto(f"{live_server.url}/brands/acme/manage/knowledge/")
    assert page.locator("tr.flagged").count() == 1
    screenshot(page, "knowledge-list")

    # when she opens the draft, tidies the question and approves it
    page.click(f"a[href='/brands/acme/manage/knowledge/{draft.pk}/']")
    screenshot(page, "knowledge-draft-review")
    page.fill("#id_question", "Do the Trailblazer 2 run small?")
    page.fill("#id_phrasings", "Should I size up in the Trailblazer 2?\nAre they true to size?")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".messages :text('Saved')")
    page.click("button[value=publish]")
    page.wait_for_selector("#entry-status:text('published')")
    screenshot(page, "knowledge-entry-published")

    # then the AI line answers the same question with it
    draft.refresh_from_db()
    assert (draft.question, draft.status) == ("Do the Trailblazer 2 run small?", "published")
    assert draft.phrasings == ["Should I size up in the Trailblazer 2?", "Are they true to size?"]
    asked, _ = routing.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="Do the Trailblazer 2 run small?",
        product_id=cast.trail_shoe.pk,
    )
    asked.refresh_from_db()
    assert asked.status == "ai_answered"
    assert asked.auto_answer.entry_id == draft.pk
