"""Proactive care in the browser: a manager finds the surge alert with its grouped questions
and the best expert answer, publishes the known-issue notice in one click, and the widget
shows it for that product only (at desktop and phone widths)."""

from __future__ import annotations

from typing import Any

import pytest

from routing import services
from routing.models import SurgeIncident
from tests.e2e.conftest import log_in, screenshot
from tests.routing.test_surges import FIX, PEELING

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _tfidf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "tfidf")


def raised(cast: Any) -> SurgeIncident:
    """Five customers with a peeling sole; Ada resolved the first one."""
    from tests.routing.test_surges import resolved_by_ada

    questions = []
    for body in PEELING:
        question, _ = services.question_create(
            brand=cast.acme, asked_by=cast.carol, body=body, product_id=cast.trail_shoe.pk
        )
        questions.append(question)
    resolved_by_ada(cast, questions[0], FIX)
    (incident,) = services.surges_detect(product_id=cast.trail_shoe.pk)
    return incident


def test_staff_publish_a_notice_from_the_surge_alert_and_the_widget_shows_it(
    page: Any, phone: Any, live_server: Any, cast: Any
) -> None:
    # given a surge on the trail shoe
    incident = raised(cast)

    # when Maya opens the surges page and the alert
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/surges/")
    screenshot(page, "surges-1280")
    page.locator(".card.surge a").first.click()
    page.locator("h2:text('Best expert answer so far')").wait_for()
    assert page.locator(".gap-answer").inner_text().startswith("It is a glue fault")
    assert page.locator(".list li").count() == 5
    screenshot(page, "surge-alert-1280")
    log_in(phone, live_server.url, "maya@acme.example")
    phone.goto(f"{live_server.url}/brands/acme/manage/surges/{incident.pk}/")
    screenshot(phone, "surge-alert-390")

    # and publishes the notice in one click
    page.fill("#surge-headline", "Soles of one batch can come loose")
    page.click("button[value=publish]")
    page.locator(".messages :text('Known-issue notice published')").wait_for()
    screenshot(page, "surge-published-1280")

    # then the widget shows it for the trail shoe, and hides it for another product
    for viewer, width in ((page, 1280), (phone, 390)):
        viewer.goto(f"{live_server.url}/embed/acme/")
        notice = viewer.locator(f"[data-known-issue='{cast.trail_shoe.pk}']")
        notice.wait_for()
        assert "Known issue with Trailblazer 2 Trail Shoe" in notice.inner_text()
        tent = cast.acme.products.get(name="Ridgeline 2P Tent")
        viewer.select_option("#embed-product", str(tent.pk))
        notice.wait_for(state="hidden")
        viewer.select_option("#embed-product", str(cast.trail_shoe.pk))
        notice.wait_for(state="visible")
        screenshot(viewer, f"known-issue-widget-{width}")
