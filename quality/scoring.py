"""How an expert's quality score and tier are worked out. Pure functions, no database.

The rules are written here once; the standing page shows them to experts word for word
(``TIER_RULES``, ``PART_LABELS``) and the tests pin them on golden cases.

Score
    A weighted mean, on a 0..1 scale, of the parts the expert has data for (a missing part
    drops out and the others are re-weighted):

    - ``csat`` (weight 0.50): the Bayesian average of her ratings, shrunk towards the brand's
      mean as if she had ``CSAT_PRIOR_WEIGHT`` extra ratings at that mean, so three 5-star
      ratings do not beat two hundred 4.8s. 1 star is 0, 5 stars is 1.
    - ``resolution`` (0.18): the share of conversations she handled that she resolved without
      the customer reopening them or her escalating them (shrunk the same way towards 0.8).
    - ``qa`` (0.14): the average of quality reviewers' scores (empathy, accuracy, tone,
      policy), when she has reviews.
    - ``lift`` (0.08): sentiment lift, how much calmer her customers ended than they started
      (frustration at the first customer message minus at the last, -1..1), averaged over
      her conversations with at least two customer messages and shrunk towards no lift as if
      she had ``LIFT_PRIOR_WEIGHT`` more conversations without any; no lift is 0.5, half a
      point calmer or more is 1.
    - ``acceptance`` (0.07): the share of offers she accepted of those she answered or let
      expire (withdrawn offers do not count).
    - ``first_reply`` (0.03): how soon her first message follows her accept; shown, but it
      weighs little: GigCX measures relationships, not speed.

    There is no score before the first rating: routing then simply has no quality figure.

Empathy fit
    Kept and shown with the parts but not in the score: the same shrunk sentiment lift, over
    only her conversations that *started upset* (first customer message at or above the
    frustration model's threshold), on the same 0..1 scale. Routing weighs it for upset
    customers only (routing.scoring), so they go preferably to experts with whom upset
    customers end calmer.

Tiers
    Promotion needs the entry score and a minimum of ratings; a tier is kept until the
    score falls below its (lower) keep score, so an expert does not flip between tiers with
    every rating (hysteresis).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

WEIGHTS: dict[str, float] = {
    "csat": 0.50,
    "resolution": 0.18,
    "qa": 0.14,
    "lift": 0.08,
    "acceptance": 0.07,
    "first_reply": 0.03,
}
PART_LABELS: dict[str, Promise] = {
    "csat": _("Customer ratings (Bayesian average)"),
    "resolution": _("Resolved without reopening or escalation"),
    "qa": _("Quality reviews"),
    "lift": _("Sentiment lift (customers end calmer)"),
    "acceptance": _("Offers accepted"),
    "first_reply": _("Time to first reply"),
}
# Shown with the parts, weighing nothing in the score (routing uses it for upset customers).
EMPATHY_LABEL = _("Empathy fit (upset customers end calmer; used in routing)")
LIFT_PRIOR_WEIGHT = 5
CSAT_PRIOR_WEIGHT = 10
# Used as the brand's mean until the brand has ratings of its own.
DEFAULT_BRAND_MEAN = 4.0
RESOLUTION_PRIOR, RESOLUTION_PRIOR_WEIGHT = 0.8, 5
# A first reply within a minute counts fully; after half an hour, not at all.
FIRST_REPLY_FULL, FIRST_REPLY_NONE = 60.0, 1800.0
# Probation: this many ratings of LOW_RATING or less among the last LOW_RUN_WINDOW.
LOW_RATING, LOW_RUN_COUNT, LOW_RUN_WINDOW = 2, 3, 5


@dataclass(frozen=True)
class TierRule:
    name: str
    label: str | Promise
    enter: float  # score needed to be promoted into the tier
    keep: float  # score needed to stay once in it
    min_ratings: int


# Highest first.
TIER_RULES: tuple[TierRule, ...] = (
    TierRule("gold", _("Gold"), enter=0.85, keep=0.80, min_ratings=20),
    TierRule("silver", _("Silver"), enter=0.70, keep=0.65, min_ratings=5),
    TierRule("bronze", _("Bronze"), enter=0.0, keep=0.0, min_ratings=1),
)
TIER_ORDER = ("new", "bronze", "silver", "gold")


def bayesian_csat(mean: float | None, count: int, *, brand_mean: float | None) -> float | None:
    """The expert's mean rating (1..5) shrunk towards the brand's mean."""
    if not count or mean is None:
        return None
    prior = DEFAULT_BRAND_MEAN if brand_mean is None else brand_mean
    return (prior * CSAT_PRIOR_WEIGHT + mean * count) / (CSAT_PRIOR_WEIGHT + count)


def stars_to_unit(stars: float | None) -> float | None:
    """1..5 -> 0..1."""
    return None if stars is None else max(0.0, min(1.0, (stars - 1.0) / 4.0))


def shrunk_rate(successes: int, trials: int, *, prior: float, weight: int) -> float | None:
    if not trials:
        return None
    return (successes + prior * weight) / (trials + weight)


def plain_rate(successes: int, trials: int) -> float | None:
    return None if not trials else successes / trials


def first_reply_value(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    if seconds <= FIRST_REPLY_FULL:
        return 1.0
    if seconds >= FIRST_REPLY_NONE:
        return 0.0
    return 1.0 - (seconds - FIRST_REPLY_FULL) / (FIRST_REPLY_NONE - FIRST_REPLY_FULL)


def lift_value(mean_lift: float | None, count: int) -> float | None:
    """Mean sentiment lift (-1..1) over ``count`` conversations, shrunk towards no lift, to
    0..1: no lift is 0.5, a lift of +0.5 or more is 1, -0.5 or less is 0."""
    if not count or mean_lift is None:
        return None
    shrunk = mean_lift * count / (count + LIFT_PRIOR_WEIGHT)
    return max(0.0, min(1.0, 0.5 + shrunk))


def composite(
    parts: Mapping[str, float | None], *, weights: Mapping[str, float] = WEIGHTS
) -> tuple[float | None, dict[str, dict[str, float | None]]]:
    """The weighted mean of the parts present, and each part's value, weight and points."""
    present = {name: value for name, value in parts.items() if value is not None}
    total_weight = sum(weights[name] for name in present)
    breakdown: dict[str, dict[str, float | None]] = {}
    for name in weights:
        value = parts.get(name)
        weight = weights[name] / total_weight if value is not None and total_weight else 0.0
        breakdown[name] = {
            "value": None if value is None else round(value, 4),
            "weight": round(weight, 4),
            "points": round((value or 0.0) * weight, 4),
        }
    if parts.get("csat") is None or not total_weight:
        return None, breakdown
    score = sum(present[name] * weights[name] for name in present) / total_weight
    return round(score, 3), breakdown


def tier_for(score: float | None, ratings: int, *, current: str) -> str:
    """The tier the score earns, given the tier the expert holds now (hysteresis)."""
    if score is None or ratings <= 0:
        return "new"
    current_rank = TIER_ORDER.index(current) if current in TIER_ORDER else 0
    for rule in TIER_RULES:
        held = current_rank >= TIER_ORDER.index(rule.name)
        threshold = rule.keep if held else rule.enter
        if score >= threshold and ratings >= rule.min_ratings:
            return rule.name
    return "new"


def next_tier_needs(score: float | None, ratings: int, *, current: str) -> str | None:
    """What the next tier up needs, in words, or None at the top."""
    rank = TIER_ORDER.index(current) if current in TIER_ORDER else 0
    if rank + 1 >= len(TIER_ORDER):
        return None
    target = next(rule for rule in TIER_RULES if rule.name == TIER_ORDER[rank + 1])
    more = max(target.min_ratings - ratings, 0)
    values: dict[str, object] = {
        "tier": target.label,
        "more": more,
        "score": number_format(target.enter, 2),
    }
    needs_ratings = ratings < target.min_ratings
    needs_score = score is None or score < target.enter
    if needs_ratings and needs_score:
        return (
            ngettext(
                "%(tier)s needs %(more)s more rating and a score of %(score)s or more.",
                "%(tier)s needs %(more)s more ratings and a score of %(score)s or more.",
                more,
            )
            % values
        )
    if needs_ratings:
        return (
            ngettext(
                "%(tier)s needs %(more)s more rating.",
                "%(tier)s needs %(more)s more ratings.",
                more,
            )
            % values
        )
    if needs_score:
        return gettext("%(tier)s needs a score of %(score)s or more.") % values
    return gettext("%(tier)s: you qualify; it applies at the next recompute.") % values


def is_low_run(recent_scores: list[int]) -> bool:
    """Newest first: a run of low ratings among the last few."""
    window = recent_scores[:LOW_RUN_WINDOW]
    return sum(1 for s in window if s <= LOW_RATING) >= LOW_RUN_COUNT
