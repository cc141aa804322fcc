"""A brand manager tunes routing in Chromium: preview on recent questions, then save."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from marketplace.models import Expert
from routing.models import Assignment
from routing.scoring import DEFAULT_WEIGHTS
from routing.selectors import routing_settings_for
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_preview_then_save_the_routing_weights(
    page: Any, live_server: Any, cast: Any, ask: Any
) -> None:
    question = ask("The Trailblazer 2 squeaks on wet rock, is that normal?")
    for user, score, values in (
        (cast.grace, 8.3, {"skill": 0.2, "activity": 0.5}),
        (cast.ada, 1.5, {"skill": 1.0, "activity": 0.0}),
    ):
        Assignment.objects.create(
            question=question,
            expert=Expert.objects.get(brand=cast.acme, user=user),
            status=Assignment.Status.DECLINED,
            step=0,
            score=score,
            breakdown={name: {"value": value} for name, value in values.items()},
            expires_at=timezone.now() + timedelta(minutes=1),
        )
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(live_server.url + "/brands/acme/manage/")
    page.click(".tabs summary >> text=Settings")  # routing sits in the Settings menu
    page.click(".tabs >> text=Routing")
    assert page.locator("h1").inner_text() == "Routing"

    page.fill("#id_weight_activity", "0")
    page.click("button[value=preview]")
    assert "different expert first in 1" in page.locator("#preview").inner_text()
    screenshot(page, "routing-settings-preview")
    assert routing_settings_for(cast.acme.pk).weights == {}

    page.fill("#id_sla_minutes", "20")
    page.click("button[value=save]")
    assert page.locator(".message.success").is_visible()
    assert routing_settings_for(cast.acme.pk).sla_minutes == 20
    assert routing_settings_for(cast.acme.pk).weights["activity"] == 0


def test_on_a_phone_each_weight_shows_its_default(phone: Any, live_server: Any, cast: Any) -> None:
    log_in(phone, live_server.url, "maya@acme.example")
    phone.goto(live_server.url + "/brands/acme/manage/routing/")
    field = phone.locator("#id_weight_activity").locator("xpath=..")
    assert f"Default {DEFAULT_WEIGHTS['activity']:g}" in field.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "routing-settings-phone")
