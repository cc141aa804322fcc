"""Badges: earned from SQL aggregates by the score recompute (on events and nightly), kept
with the date earned, never awarded twice; their rules are shown to the expert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from marketplace.models import Expert
from quality import badges
from quality.models import ExpertBadge, Rating
from quality.services import badges_award_top_rated_month, expert_score_recompute
from quality.tasks import recompute_scores
from tests.quality.conftest import CALM, UPSET

pytestmark = pytest.mark.django_db


def test_ten_resolutions_earn_the_first_badge_once_with_its_date(
    cast: Any, resolved: Any, rate: Any, client: Any
) -> None:
    # given: nine resolutions, rated: no badge yet
    for _ in range(9):
        resolved(cast.ada)
    rate(resolved(cast.ada, body="Do they fit wide feet?"), 5)
    assert ExpertBadge.objects.filter(expert=cast.ada_expert).count() == 1  # the tenth
    badge = ExpertBadge.objects.get(expert=cast.ada_expert)
    assert (badge.kind, badge.period, badge.brand_id) == ("first_10", "", cast.acme.pk)
    assert badge.detail == "10 conversations resolved"
    earned_at = badge.earned_at

    # when: more recomputes, by event and nightly
    rate(resolved(cast.ada), 4)
    assert recompute_scores() == 2

    # then: still one, with its first date
    badge = ExpertBadge.objects.get(expert=cast.ada_expert, kind="first_10")
    assert badge.earned_at == earned_at
    assert ExpertBadge.objects.filter(expert=cast.ada_expert, kind="first_10").count() == 1
    client.force_login(cast.ada)
    html = client.get("/expert/standing/").content.decode()
    assert 'data-badge="first_10"' in html
    assert f"Earned {timezone.localtime(earned_at):%d %b %Y}" in html


def test_nine_resolutions_earn_nothing(cast: Any, resolved: Any) -> None:
    for _ in range(9):
        resolved(cast.ada)
    assert recompute_scores() == 2
    assert not ExpertBadge.objects.exists()


def test_the_top_rated_month_goes_to_the_best_bayesian_csat_with_enough_ratings(
    cast: Any, resolved: Any, rate: Any, grace_knows_the_shoe: Any
) -> None:
    # given: last month ada got five 5s, grace a 5 and four 4s
    for _ in range(5):
        rate(resolved(cast.ada), 5)
    for score in (5, 4, 4, 4, 4):
        rate(resolved(cast.grace), score)
    today = timezone.localdate()
    last_month = timezone.now() - timedelta(days=today.day + 3)
    Rating.objects.update(created_at=last_month)  # hand-set clocks (test data only)
    # a sixth 5 for grace this month does not count for last month
    rate(resolved(cast.grace), 5)

    # when
    badge = badges_award_top_rated_month(brand_id=cast.acme.pk, today=today)

    # then: prior = month mean 4.6 with weight 10: ada (46+25)/15 = 4.733, grace 4.467
    assert badge.expert == cast.ada_expert
    assert badge.period == f"{timezone.localtime(last_month):%Y-%m}"
    assert badge.detail.startswith("4.73 ★ over 5 ratings in ")
    # once a month, whoever asks again (the nightly run, a second beat)
    assert badges_award_top_rated_month(brand_id=cast.acme.pk, today=today) is None
    recompute_scores()
    assert ExpertBadge.objects.filter(kind="top_rated_month").count() == 1


def test_nobody_is_top_rated_without_the_minimum_of_ratings(
    cast: Any, resolved: Any, rate: Any
) -> None:
    for _ in range(badges.TOP_MONTH_MIN_RATINGS - 1):
        rate(resolved(cast.ada), 5)
    today = timezone.localdate()
    Rating.objects.update(created_at=timezone.now() - timedelta(days=today.day + 3))
    assert badges_award_top_rated_month(brand_id=cast.acme.pk, today=today) is None
    assert not ExpertBadge.objects.filter(kind="top_rated_month").exists()


def test_calmer_customers_needs_a_positive_lift_over_enough_conversations(
    cast: Any, conversed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(badges, "CALMER_MIN_CONVERSATIONS", 3)
    # given: two conversations ending calmer are not enough
    conversed(cast.ada, [UPSET, CALM])
    conversed(cast.ada, [UPSET, CALM])
    expert_score_recompute(expert_id=cast.ada_expert.pk)
    assert not ExpertBadge.objects.filter(kind="calmer_customers").exists()
    # when: a third, even a flat one, keeps the mean positive
    conversed(cast.ada, [CALM, CALM])
    expert_score_recompute(expert_id=cast.ada_expert.pk)
    # then
    badge = ExpertBadge.objects.get(kind="calmer_customers")
    assert badge.expert_id == cast.ada_expert.pk
    assert "over 3 conversations" in badge.detail


def test_angrier_customers_earn_no_calmer_badge(
    cast: Any, conversed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(badges, "CALMER_MIN_CONVERSATIONS", 2)
    conversed(cast.grace, [CALM, UPSET], product=None)
    conversed(cast.grace, [CALM, UPSET], product=None)
    grace = Expert.objects.get(brand=cast.acme, user=cast.grace)
    assert expert_score_recompute(expert_id=grace.pk).lift_count == 2
    assert not ExpertBadge.objects.exists()


def test_the_rules_are_shown_to_the_expert_and_the_api_lists_her_badges(
    cast: Any, resolved: Any, rate: Any, client: Any, api_as: Any
) -> None:
    rate(resolved(cast.ada), 5)
    client.force_login(cast.ada)
    html = client.get("/expert/standing/").content.decode()
    for rule in badges.RULES:
        assert str(rule.label) in html
        assert str(rule.rule) in html
    assert html.count("Not yet") == 3
    standing = api_as(cast.ada).get("/api/v1/expert/standing").json()[0]
    assert standing["badges"] == []
    assert standing["on_leaderboard"] is False
