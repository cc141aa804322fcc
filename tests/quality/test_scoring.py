"""The score and tier rules on golden cases (pure functions, no database)."""

from __future__ import annotations

import pytest

from quality import scoring


def test_three_fives_do_not_beat_two_hundred_four_point_eights() -> None:
    few = scoring.bayesian_csat(5.0, 3, brand_mean=4.5)
    many = scoring.bayesian_csat(4.8, 200, brand_mean=4.5)
    assert few == pytest.approx((4.5 * 10 + 15) / 13)  # 4.615
    assert many == pytest.approx((4.5 * 10 + 960) / 210)  # 4.786
    assert many > few


def test_small_samples_shrink_towards_the_brand_mean_and_large_ones_do_not() -> None:
    assert scoring.bayesian_csat(1.0, 1, brand_mean=4.0) == pytest.approx(41 / 11)
    assert scoring.bayesian_csat(1.0, 1000, brand_mean=4.0) == pytest.approx(1.0297, abs=1e-4)
    assert scoring.bayesian_csat(None, 0, brand_mean=4.0) is None
    # a brand without ratings yet: the default mean
    assert scoring.bayesian_csat(5.0, 10, brand_mean=None) == pytest.approx(4.5)


def test_the_composite_reweights_the_parts_present_and_needs_ratings() -> None:
    score, parts = scoring.composite(
        {"csat": 1.0, "resolution": 0.5, "qa": None, "acceptance": None, "first_reply": None}
    )
    assert score == pytest.approx((0.50 * 1.0 + 0.18 * 0.5) / 0.68, abs=1e-3)
    assert parts["qa"] == {"value": None, "weight": 0.0, "points": 0.0}
    assert parts["csat"]["weight"] == pytest.approx(0.50 / 0.68, abs=1e-4)
    no_ratings, _ = scoring.composite({"csat": None, "resolution": 1.0, "acceptance": 1.0})
    assert no_ratings is None


def test_time_to_first_reply_weighs_little() -> None:
    fast, _ = scoring.composite({"csat": 0.8, "first_reply": 1.0})
    slow, _ = scoring.composite({"csat": 0.8, "first_reply": 0.0})
    assert fast - slow < 0.06
    assert scoring.first_reply_value(30) == 1.0
    assert scoring.first_reply_value(3600) == 0.0
    assert scoring.first_reply_value(930) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("score", "ratings", "current", "expected"),
    [
        (None, 0, "gold", "new"),  # no ratings, no tier
        (0.95, 3, "new", "bronze"),  # a great start is not yet silver: too few ratings
        (0.72, 5, "bronze", "silver"),  # promoted at the entry score
        (0.68, 10, "bronze", "bronze"),  # below silver's entry score
        (0.68, 10, "silver", "silver"),  # ...but above its keep score: stays (hysteresis)
        (0.64, 10, "silver", "bronze"),  # below the keep score: demoted
        (0.84, 30, "silver", "silver"),  # gold needs 0.85
        (0.86, 30, "silver", "gold"),
        (0.82, 30, "gold", "gold"),  # keeps gold down to 0.80
        (0.79, 30, "gold", "silver"),  # demoted one step, keeping silver by its keep score
        (0.86, 12, "silver", "silver"),  # gold needs 20 ratings
    ],
)
def test_tiers_promote_at_entry_and_demote_below_keep(
    score: float | None, ratings: int, current: str, expected: str
) -> None:
    assert scoring.tier_for(score, ratings, current=current) == expected


def test_next_tier_needs_says_what_is_missing() -> None:
    assert scoring.next_tier_needs(0.6, 2, current="bronze") == (
        "Silver needs 3 more ratings and a score of 0.70 or more."
    )
    assert scoring.next_tier_needs(0.9, 19, current="silver") == "Gold needs 1 more rating."
    assert scoring.next_tier_needs(0.9, 40, current="gold") is None


def test_a_run_of_low_ratings_is_three_of_the_last_five() -> None:
    assert scoring.is_low_run([1, 2, 5, 2, 4])
    assert not scoring.is_low_run([1, 2, 5, 4, 4])
    assert not scoring.is_low_run([5, 5, 5, 5, 5, 1, 1, 1])  # older ones are out of the run
