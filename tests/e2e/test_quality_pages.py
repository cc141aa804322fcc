"""Ratings in the browser: the customer rates on the conversation page and in the widget."""

from __future__ import annotations

from typing import Any

import pytest

from quality import services as quality
from quality.models import Rating
from routing import services as routing
from tests.e2e.conftest import log_in, screenshot
from tests.quality.conftest import resolve_through_routing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_customer_rates_on_the_conversation_page_and_reopens(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given: ada answered and resolved carol's question
    question = resolve_through_routing(cast, ask, cast.ada)
    log_in(page, live_server.url, "carol@example.com")
    page.goto(f"{live_server.url}/questions/{question.pk}/")
    assert page.locator("#rating-form").is_visible()

    # when: she sends without choosing, then rates 2 and says it is not solved
    page.click("#rating-form button[type=submit]")
    page.wait_for_selector("[data-errors-for=score]:has-text('required')")
    screenshot(page, "rating-form-error")
    page.click("label[for=rate-2]")
    page.check("input[name=solved][value=false]")
    page.fill("#rating-comment", "They still pinch at the toes.")
    page.click("#rating-form button[type=submit]")
    page.wait_for_selector("[data-action=reopen]")
    screenshot(page, "rating-given")

    # then
    rating = Rating.objects.get(question=question)
    assert (rating.score, rating.solved) == (2, False)

    # and reopening sends it back to ada, who is still online
    page.click("[data-action=reopen]")
    page.locator("[data-action=reopen]").wait_for(state="detached")
    question.refresh_from_db()
    assert question.status == "offered"
    screenshot(page, "rating-reopened")


def test_the_visitor_rates_inside_the_widget(page: Any, live_server: Any, cast: Any) -> None:
    # given: an anonymous question answered by staff and resolved
    question, token = routing.question_create(
        brand=cast.acme, body="How do I clean the Trailblazer 2?", contact_email="v@example.com"
    )
    routing.message_post(question=question, author=cast.sam, role="staff", body="Warm water.")
    routing.question_resolve(question_id=question.pk, actor=cast.sam)
    page.set_viewport_size({"width": 400, "height": 760})

    # when
    page.goto(f"{live_server.url}/q/{question.pk}/{token}/?embed=1")
    page.click("label[for=rate-5]")
    page.check("input[name=solved][value=true]")
    screenshot(page, "rating-widget-form")
    page.click("#rating-form button[type=submit]")
    page.wait_for_selector(".rating-card .stars")
    screenshot(page, "rating-widget-done")

    # then
    rating = Rating.objects.get(question=question)
    assert (rating.score, rating.solved, rating.automated) == (5, True, False)


def test_the_expert_sees_her_history_ratings_and_standing(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given: ada resolved three questions, rated 5, 4 and 2
    for score in (5, 4, 2):
        question = resolve_through_routing(cast, ask, cast.ada)
        quality.rating_create(
            question=question, score=score, solved=score > 2, comment=f"{score} stars, thanks"
        )
    log_in(page, live_server.url, "ada@example.com")

    # when / then: the console lists them with ratings
    page.goto(f"{live_server.url}/expert/console/")
    assert page.locator("#handled tbody tr").count() == 3
    screenshot(page, "expert-console-history")

    # she reopens one: read-only, with its rating
    page.click(f"#handled a[href='/questions/{question.pk}/']")
    page.wait_for_selector(".rating-card")
    assert page.locator("#composer").count() == 0
    screenshot(page, "expert-reopens-conversation")

    # and her standing
    page.goto(f"{live_server.url}/expert/standing/")
    assert "Bronze tier" in page.locator("#standing-acme").inner_text()
    screenshot(page, "expert-standing")


def test_a_quality_reviewer_reviews_and_the_expert_sees_it(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given: a conversation rated 2 stars is in Acme's review queue
    question = resolve_through_routing(cast, ask, cast.ada)
    quality.rating_create(question=question, score=2, solved=False, comment="Too small.")
    log_in(page, live_server.url, "quinn@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/reviews/")
    assert page.locator("#quality-settings").count() == 0  # QA sees no settings form
    screenshot(page, "review-queue")

    # when: she opens it, forgets a score, then completes the review
    page.click("#pending a.button")
    page.check("input[name=empathy][value='4']")
    page.click("#review-form button[type=submit]")
    assert page.locator("#id_accuracy-errors").is_visible()
    screenshot(page, "review-form-error")
    for name, value in (("empathy", "4"), ("accuracy", "2"), ("tone", "5"), ("policy", "4")):
        page.check(f"input[name={name}][value='{value}']")
    page.fill("textarea[name=comment]", "Check the size chart before advising.")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector(".message.success")
    screenshot(page, "review-queue-done")

    # then: ada sees it on her standing page
    page.context.clear_cookies()
    log_in(page, live_server.url, "ada@example.com")
    page.goto(f"{live_server.url}/expert/standing/")
    assert "Check the size chart" in page.locator("#reviews").inner_text()


def test_the_brand_dashboard_draws_its_service_charts(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given: a few rated conversations
    for score in (5, 4, 2):
        question = resolve_through_routing(cast, ask, cast.ada)
        quality.rating_create(question=question, score=score, solved=score > 2)
    ask("Is the Ridgeline 2P tent fine in snow?", product=None)
    log_in(page, live_server.url, "sam@acme.example")

    # when
    page.goto(f"{live_server.url}/brands/acme/manage/")
    assert page.locator("#service-summary").is_visible()
    screenshot(page, "brand-dashboard-service")
    page.click(".tabs >> text=Service")

    # then: Chart.js (served by the site) drew both charts
    page.locator("html[data-charts-drawn='1']").wait_for(state="attached")
    assert page.evaluate("!!document.getElementById('chart-daily').chart")
    assert "Ada Lovelace" in page.locator("#by-expert").inner_text()
    screenshot(page, "brand-metrics")

    # a bad range is explained, not a crash
    page.goto(f"{live_server.url}/brands/acme/manage/metrics/?from=2026-12-31&to=2026-01-01")
    assert "starts after it ends" in page.locator(".range-form .form-errors").inner_text()


def test_staff_see_a_probation_and_lift_it(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given: three low ratings in a row put ada on probation
    for score in (1, 2, 1):
        question = resolve_through_routing(cast, ask, cast.ada)
        quality.rating_create(question=question, score=score, solved=False)
    log_in(page, live_server.url, "sam@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/pool/{cast.ada_expert.pk}/")
    assert "ratings were 2 stars or fewer" in page.locator(".message").first.inner_text()
    screenshot(page, "pool-expert-probation")

    # when
    page.check("#probation input[value=lift]")
    page.fill("#probation-reason", "We went through the sizing chart together.")
    page.click("#probation button[type=submit]")

    # then
    page.wait_for_selector(".message.success")
    cast.ada_expert.refresh_from_db()
    assert cast.ada_expert.status == "approved"
    screenshot(page, "pool-expert-probation-lifted")
