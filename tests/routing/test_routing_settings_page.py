"""The brand's routing settings page: save, preview, field errors, roles and other brands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Expert
from routing.models import Assignment, RoutingSettings
from routing.preview import rescore
from routing.scoring import DEFAULT_WEIGHTS
from routing.selectors import routing_settings_for

pytestmark = pytest.mark.django_db

PAGE = reverse("routing:routing-settings", kwargs={"slug": "acme"})


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "offer_timeout_seconds": 60,
        "mode": "single",
        "broadcast_size": 3,
        "wait_1": 30,
        "wait_2": 60,
        "wait_3": 120,
        "max_attempts": 6,
        "sla_minutes": 15,
        "fairness_cap_per_hour": 12,
        "missed_offers_before_away": 3,
        "staff_alert_frustration": 0.85,
        **{f"weight_{name}": weight for name, weight in DEFAULT_WEIGHTS.items()},
        "action": "save",
    }
    data.update(overrides)
    return data


def offered(question: Any, expert: Any, score: float, **values: float) -> Assignment:
    return Assignment.objects.create(
        question=question,
        expert=expert,
        status=Assignment.Status.DECLINED,
        step=0,
        score=score,
        breakdown={name: {"value": value} for name, value in values.items()},
        expires_at=timezone.now() + timedelta(minutes=1),
    )


def test_a_manager_sees_the_settings_and_saves_them(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Answered similar questions" in body  # factors have people's names
    assert 'value="60"' in body

    response = client.post(PAGE, form_data(sla_minutes=30, wait_2=90, weight_text_fit=3))

    assert response.status_code == 302
    stored = routing_settings_for(cast.acme.pk)
    assert stored.sla_minutes == 30
    assert stored.waits == (30, 90, 120)
    assert stored.weights["text_fit"] == 3
    assert "skill" not in stored.weights  # left at its default: follows the defaults


def test_out_of_range_values_are_shown_beside_their_field_and_nothing_is_saved(
    cast: Any, client: Any
) -> None:
    client.force_login(cast.sam)
    routing_settings_for(cast.acme.pk)
    before = list(RoutingSettings.objects.values())

    response = client.post(PAGE, form_data(offer_timeout_seconds=5, weight_skill=-1))

    assert response.status_code == 200
    form = response.context["form"]
    assert "offer_timeout_seconds" in form.errors
    assert "weight_skill" in form.errors
    assert 'id="id_offer_timeout_seconds-errors"' in response.content.decode()
    assert list(RoutingSettings.objects.values()) == before


def test_preview_shows_who_would_come_first_and_saves_nothing(
    cast: Any, client: Any, ask: Any
) -> None:
    question = ask()
    grace = Expert.objects.get(brand=cast.acme, user=cast.grace)
    # today grace came first on activity; ada knows the product better
    offered(question, grace, score=8.3, skill=0.2, activity=0.5)
    offered(question, cast.ada_expert, score=1.5, skill=1.0, activity=0.0)
    client.force_login(cast.sam)

    response = client.post(PAGE, form_data(weight_activity=0, action="preview"))

    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.examined == 1
    assert preview.changed_count == 1
    assert preview.changed[0].before == "Grace Hopper"
    assert preview.changed[0].after == "Ada Lovelace"
    assert preview.firsts == {"Ada Lovelace": (0, 1), "Grace Hopper": (1, 0)}
    assert "Preview: nothing saved yet" in response.content.decode()
    assert routing_settings_for(cast.acme.pk).weights == {}


def test_the_preview_scores_as_routing_does() -> None:
    weights = {"skill": 2.0, "empathy": 4.0, "activity": 1.0}
    breakdown = {"skill": {"value": 0.5}, "empathy": {"value": 1.0}, "activity": {"value": None}}
    # empathy counts in proportion to the customer's frustration; a missing value adds nothing
    assert rescore(breakdown, weights, frustration=0.25) == pytest.approx(1.0 + 1.0)
    assert rescore(breakdown, weights, frustration=0.0) == pytest.approx(1.0)


def test_quality_reviewers_read_the_settings_without_a_form_to_change_them(
    cast: Any, client: Any
) -> None:
    client.force_login(cast.quinn)
    body = client.get(PAGE).content.decode()
    assert '<fieldset class="plain" disabled>' in body
    assert 'value="save"' not in body

    client.post(PAGE, form_data(sla_minutes=99))
    assert routing_settings_for(cast.acme.pk).sla_minutes == 15


@pytest.mark.parametrize("who", ["nora", "ada", "carol"])
def test_outsiders_get_404(cast: Any, client: Any, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, form_data(sla_minutes=99)).status_code == 404
    assert routing_settings_for(cast.acme.pk).sla_minutes == 15
