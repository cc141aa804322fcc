"""In the browser: the mood banner reaches the expert, her standing shows badges and the
leaderboard she opted into, and staff open a customer's relationship from the dashboard."""

from __future__ import annotations

from typing import Any

import pytest

from quality import services as quality
from quality.models import ExpertBadge, LeaderboardOptIn
from routing import services as routing
from routing.models import Assignment
from tests.e2e.conftest import log_in, screenshot
from tests.quality.conftest import CALM, UPSET, resolve_through_routing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_mood_banner_shows_when_the_customer_gets_upset_and_goes_when_answered(
    page: Any, live_server: Any, cast: Any, ask: Any, held_tasks: Any
) -> None:
    # given: ada is talking with carol, who is calm so far
    routing.presence_set(user=cast.ada, status="online")
    question = ask("Do the Trailblazer 2 run narrow?")
    routing.routing_offer_question(question_id=question.pk)
    offer = Assignment.objects.get(question=question, status="offered")
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    question.refresh_from_db()
    routing.message_post(question=question, author=cast.carol, role="customer", body=CALM)
    log_in(page, live_server.url, "ada@example.com")
    page.goto(f"{live_server.url}/questions/{question.pk}/")
    assert page.locator("#mood-banner").is_hidden()

    # when: carol's next message is sharply more frustrated
    routing.message_post(question=question, author=cast.carol, role="customer", body=UPSET)

    # then: the banner appears without a reload (the page polls; no socket needed)
    page.wait_for_selector("#mood-banner", state="visible")
    page.wait_for_selector(".bubble.customer >> text=USELESS")
    assert "more upset than a moment ago" in page.locator("#mood-banner").inner_text()
    assert page.locator("#mood-badge").inner_text() == "mood: upset"
    screenshot(page, "mood-banner")

    # and once ada answers, it goes
    page.fill("#composer textarea", "I am sorry, that is frustrating. Let us sort it out now.")
    page.click("#composer button[type=submit]")
    page.wait_for_selector("#mood-banner", state="hidden")

    # a second rise brings it back; she may also dismiss it
    routing.message_post(question=question, author=cast.carol, role="customer", body=CALM)
    routing.message_post(question=question, author=cast.carol, role="customer", body=UPSET)
    page.wait_for_selector("#mood-banner", state="visible")
    page.click("#mood-banner [data-dismiss]")
    assert page.locator("#mood-banner").is_hidden()
    page.wait_for_timeout(2500)  # a poll later it stays dismissed
    assert page.locator("#mood-banner").is_hidden()


def test_the_expert_sees_badges_and_joins_the_leaderboard(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given: ada resolved ten conversations; the last ones were rated
    for n in range(10):
        question = resolve_through_routing(cast, ask, cast.ada)
        if n >= 7:
            quality.rating_create(question=question, score=5 if n != 8 else 4, solved=True)
    assert ExpertBadge.objects.filter(expert=cast.ada_expert, kind="first_10").exists()
    log_in(page, live_server.url, "ada@example.com")

    # when: she opens her standing and joins the leaderboard
    page.goto(f"{live_server.url}/expert/standing/")
    assert "Earned" in page.locator("[data-badge=first_10]").inner_text()
    assert "Not yet" in page.locator("[data-badge=calmer_customers]").inner_text()
    screenshot(page, "standing-badges")
    page.click("#leaderboard-opt-acme button[type=submit]")
    page.wait_for_selector(".message.success")
    assert LeaderboardOptIn.objects.filter(expert=cast.ada_expert).exists()

    # then: the board lists her, and not grace, who never opted in
    page.click("#leaderboard-opt-acme a")
    board = page.locator("#leaderboard").inner_text()
    assert "Ada Lovelace" in board
    assert "Grace Hopper" not in board
    screenshot(page, "leaderboard")


def test_staff_open_a_customers_relationship_from_the_dashboard(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    # given: carol asked three times, rated 5, 4 and 2
    for score in (5, 4, 2):
        question = resolve_through_routing(cast, ask, cast.ada)
        quality.rating_create(question=question, score=score, solved=score > 2)
    log_in(page, live_server.url, "sam@acme.example")

    # when
    page.goto(f"{live_server.url}/brands/acme/manage/metrics/")
    page.locator("html[data-charts-drawn='1']").wait_for(state="attached")
    assert "came back within 90 days" in page.locator("#returning").inner_text()
    screenshot(page, "dashboard-customers")
    page.click("#top-customers a:has-text('Relationship')")

    # then
    page.wait_for_selector("#relationship")
    assert "Carol Danvers" in page.locator("h1").inner_text()
    assert page.locator("#customer-questions tbody tr").count() == 3
    assert page.locator("#csat-trend svg").count() == 1
    assert "Ada Lovelace" in page.locator("#experts-seen").inner_text()
    screenshot(page, "customer-relationship")
