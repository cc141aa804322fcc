"""Brands that never changed their routing weights follow new defaults; brands that did keep
what they chose (migration routing 0012 and the settings page)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from marketplace import services as marketplace
from routing.models import RoutingSettings
from routing.scoring import DEFAULT_WEIGHTS, merged_weights
from routing.selectors import routing_settings_for

pytestmark = pytest.mark.django_db

migration = importlib.import_module("routing.migrations.0012_routing_weights_follow_defaults")

OLD = {
    "skill": 2.0,
    "activity": 13.8,
    "quality": 0.2,
    "load": 1.0,
    "fairness": 1.0,
    "empathy": 1.0,
    "text_fit": 0.5,
    "preferred": 8.0,
}


def brand_with_weights(cast: Any, slug: str, weights: dict[str, Any]) -> RoutingSettings:
    brand = marketplace.brand_create(owner=cast.sam, name=slug.title(), slug=slug)
    settings = routing_settings_for(brand.pk)
    RoutingSettings.objects.filter(pk=settings.pk).update(weights=weights)
    return settings


def test_stored_copies_of_earlier_defaults_are_cleared_and_choices_are_kept(cast: Any) -> None:
    untouched = brand_with_weights(cast, "untouched", OLD)
    as_ints = brand_with_weights(cast, "ints", {**OLD, "skill": 2, "load": 1})
    oldest = brand_with_weights(cast, "oldest", migration.PREVIOUS_DEFAULTS[0])
    tuned = brand_with_weights(cast, "tuned", {**OLD, "activity": 20.0})
    partial = brand_with_weights(cast, "partial", {"skill": 2.0})  # sent by the API
    broken = brand_with_weights(cast, "broken", {**OLD, "skill": "lots"})

    migration.clear_stored_defaults(apps, None)

    def stored(settings: RoutingSettings) -> Any:
        return RoutingSettings.objects.get(pk=settings.pk).weights

    assert stored(untouched) == {}
    assert stored(as_ints) == {}
    assert stored(oldest) == {}
    assert merged_weights(stored(untouched)) == DEFAULT_WEIGHTS
    assert stored(tuned) == {**OLD, "activity": 20.0}
    assert stored(partial) == {"skill": 2.0}
    assert stored(broken)["skill"] == "lots"


def test_the_current_defaults_are_not_among_the_cleared_ones() -> None:
    # else a brand that chose today's defaults on purpose would be reset by a later run
    assert DEFAULT_WEIGHTS not in [dict(d) for d in migration.PREVIOUS_DEFAULTS]


def test_saving_the_page_stores_only_the_weights_that_differ_from_the_defaults(
    cast: Any, client: Any
) -> None:
    page = reverse("routing:routing-settings", kwargs={"slug": "acme"})
    client.force_login(cast.maya)
    form = {
        "offer_timeout_seconds": 60,
        "mode": "single",
        "broadcast_size": 3,
        "wait_1": 30,
        "wait_2": 60,
        "wait_3": 120,
        "max_attempts": 6,
        "sla_minutes": 20,
        "fairness_cap_per_hour": 12,
        "missed_offers_before_away": 3,
        "staff_alert_frustration": 0.85,
        **{f"weight_{name}": weight for name, weight in DEFAULT_WEIGHTS.items()},
        "action": "save",
    }
    assert client.post(page, form).status_code == 302
    assert routing_settings_for(cast.acme.pk).weights == {}  # follows future defaults

    assert client.post(page, {**form, "weight_quality": 3}).status_code == 302
    assert routing_settings_for(cast.acme.pk).weights == {"quality": 3.0}

    # and the page shows each factor's default beside it
    body = client.get(page).content.decode()
    assert f"Default {DEFAULT_WEIGHTS['activity']:g}" in body
