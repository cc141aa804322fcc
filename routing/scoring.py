"""How a candidate expert is scored for a question. Pure functions, no database.

Each feature is a number in [0, 1] (or None when there is no data, which scores nothing and
says so). The score is the weighted sum; the breakdown is stored on every offer so "why this
expert" can be answered in the UI and API. Weights are brand settings; these are the
defaults.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Chosen on real data by bench/routing_sites.py --tune: a coordinate search on the earlier
# "tuning" questions of two Stack Exchange sites together (coffee, a six-week burst, and
# matheducators, slower with many answers per question), then reported on their later
# questions, which the search never sees. Who resolved questions recently predicts who
# answers far better than tag skill or topic similarity. Activity counts on a log scale
# (``activity_score``), so the other weights act as factors on it. The activity weight is not
# fitted (only ratios change a ranking on that data): its size against spare capacity, fair
# share and empathy, which the data cannot measure, is a product decision. Acceptance-rate
# "quality" barely predicts who answers (it matters for who answers *well*, which that data
# cannot measure), so it keeps a small weight. On the later questions these rank about as well
# as recency alone, ahead on some figures and behind on others, all within the bootstrap
# intervals (bench/README.md has the table).
DEFAULT_WEIGHTS: dict[str, float] = {
    "skill": 2.0,  # level and verification for the product (or its category)
    "activity": 10.0,  # recent resolutions, decayed in the brand's questions: the strongest
    "quality": 0.2,  # Bayesian average of ratings and resolution rate
    "load": 1.0,  # spare capacity
    "fairness": 1.0,  # idle longest, fewer offers this hour
    "empathy": 1.0,  # upset customers end calmer with her; counts only for upset customers
    "text_fit": 2.0,  # similar questions resolved well
    "preferred": 8.0,  # the customer asked for this expert, or had them before
}
# A brand follows these unless it changed a weight: the settings store only what differs
# (routing.forms), and migration routing 0012 cleared stored copies of earlier defaults.

# What each factor is called on the pages ("Why these experts", the routing settings).
FACTOR_LABELS: dict[str, Promise] = {
    "skill": _("Product skill"),
    "activity": _("Recent activity"),
    "quality": _("Quality"),
    "load": _("Spare capacity"),
    "fairness": _("Fair share"),
    "empathy": _("Calms upset customers"),
    "text_fit": _("Answered similar questions"),
    "preferred": _("Asked for by the customer"),
}


def factor_label(name: str) -> str:
    """A factor's name for people; an unknown one reads as words, never as ``text_fit``."""
    label = FACTOR_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()


# The trailing window of bench/routing_se.py's activity baseline (and of the feature before
# decayed recency replaced it).
ACTIVITY_WINDOW_DAYS = 7

# Recent activity decays with the brand's own pace, not the calendar: a resolution is worth
# half as much once the brand has received this many more questions. A fixed 7-day window fit
# the coffee site (a six-week burst) and starved the slower matheducators site. It counts on a
# log scale from RECENCY_UNIT up to RECENCY_CEILING: twice the recent resolutions is the same
# step whether an expert has 1 or 10, so a site with many answers per question (every expert's
# sum is larger) ranks its experts as a site with few would. RECENCY_LAST_SHARE of the feature
# is how lately she last resolved, as the recency baselines break their ties: of two experts
# with about the same decayed count, the one who resolved a moment ago comes first.
# Half-life, unit and share were chosen with the weights (bench/routing_sites.py --tune).
RECENCY_HALF_LIFE_QUESTIONS = 15
RECENCY_UNIT = 0.3
RECENCY_CEILING = 100.0
RECENCY_LAST_SHARE = 0.03

WORD = re.compile(r"[a-z0-9äöüß]{3,}")
STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "you",
        "your",
        "with",
        "this",
        "that",
        "have",
        "has",
        "had",
        "are",
        "was",
        "were",
        "not",
        "but",
        "can",
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "does",
        "did",
        "from",
        "they",
        "them",
        "will",
        "would",
        "could",
        "should",
        "about",
        "into",
        "there",
        "their",
        "then",
        "than",
        "just",
        "any",
        "all",
        "out",
        "get",
        "got",
        "one",
        "two",
        "its",
        "it's",
        "i'm",
        "i've",
        "my",
        "me",
        "we",
        "our",
    }
)


@dataclass(frozen=True)
class CandidateFeatures:
    expert_id: int
    skill: float
    activity: float | None = None
    quality: float | None = None
    load: float | None = None
    fairness: float | None = None
    empathy: float | None = None
    text_fit: float | None = None
    preferred: float = 0.0
    notes: dict[str, str] = field(default_factory=dict)


class Scored:
    """An expert's score and its breakdown ("why this expert"). ``rank`` scores every
    candidate but writes the breakdown out only for those whose breakdown is read (the
    offered ones): it is built on first use, from the same features and weights."""

    __slots__ = ("expert_id", "score", "_breakdown", "_explain")

    def __init__(
        self,
        expert_id: int,
        score: float,
        breakdown: dict[str, dict[str, float | str | None]] | None = None,
        *,
        explain: Callable[[], dict[str, dict[str, float | str | None]]] | None = None,
    ) -> None:
        self.expert_id = expert_id
        self.score = score
        self._breakdown = breakdown
        self._explain = explain

    @property
    def breakdown(self) -> dict[str, dict[str, float | str | None]]:
        if self._breakdown is None:
            self._breakdown = self._explain() if self._explain is not None else {}
        return self._breakdown

    def __repr__(self) -> str:
        return f"Scored(expert_id={self.expert_id!r}, score={self.score!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scored):
            return NotImplemented
        return (self.expert_id, self.score, self.breakdown) == (
            other.expert_id,
            other.score,
            other.breakdown,
        )

    __hash__ = None  # type: ignore[assignment]


def merged_weights(overrides: Mapping[str, float] | None) -> dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in (overrides or {}).items():
        if name in weights:
            weights[name] = float(value)
    return weights


# Frustration at or above which a question counts as upset when the caller does not say
# (routing passes the frustration model's own threshold, routing.text.frustration_threshold).
UPSET_AT = 0.5


def empathy_weight(weight: float, frustration: float, upset_at: float) -> float:
    """Empathy fit weighs fully for an upset customer and not at all for a calm one."""
    return weight if frustration >= upset_at else 0.0


def _breakdown(
    features: CandidateFeatures,
    weights: Mapping[str, float],
    frustration: float,
    upset_at: float,
    *,
    explain: bool,
) -> tuple[float, dict[str, dict[str, float | str | None]]]:
    """The rounded total and, when ``explain``, each factor's value, weight and points."""
    total = 0.0
    breakdown: dict[str, dict[str, float | str | None]] = {}
    for name, weight in weights.items():
        value = getattr(features, name)
        effective = weight
        if name == "empathy":
            effective = empathy_weight(weight, frustration, upset_at)
        points = 0.0 if value is None else effective * float(value)
        total += points
        if not explain:
            continue
        entry: dict[str, float | str | None] = {
            "value": None if value is None else round(float(value), 4),
            "weight": round(effective, 4),
            "points": round(points, 4),
        }
        if name in features.notes:
            entry["note"] = features.notes[name]
        breakdown[name] = entry
    return round(total, 4), breakdown


def score_candidate(
    features: CandidateFeatures,
    *,
    weights: Mapping[str, float],
    frustration: float = 0.0,
    upset_at: float = UPSET_AT,
    explain: bool = True,
) -> Scored:
    """The candidate's score; its breakdown now, or (``explain=False``) when first read."""
    total, breakdown = _breakdown(features, weights, frustration, upset_at, explain=explain)
    if explain:
        return Scored(features.expert_id, total, breakdown)

    def later() -> dict[str, dict[str, float | str | None]]:
        return _breakdown(features, weights, frustration, upset_at, explain=True)[1]

    return Scored(features.expert_id, total, explain=later)


def rank(
    candidates: Iterable[CandidateFeatures],
    *,
    weights: Mapping[str, float] | None = None,
    frustration: float = 0.0,
    upset_at: float = UPSET_AT,
) -> list[Scored]:
    """Highest score first; ties go to the lower expert id so ranking is deterministic."""
    merged = merged_weights(weights)
    scored = [
        score_candidate(
            c, weights=merged, frustration=frustration, upset_at=upset_at, explain=False
        )
        for c in candidates
    ]
    return sorted(scored, key=lambda s: (-s.score, s.expert_id))


# -- feature helpers -------------------------------------------------------------------


def skill_value(level: int | None, verified_level: int | None, *, step: int) -> float:
    """Exact product at step 1, the product's category at step 2 (discounted), anyone at 3."""
    if level is None and verified_level is None:
        return 0.1 if step >= 3 else 0.0
    best = max(verified_level or 0, 0.7 * (level or 0))
    value = best / 5.0
    return value if step <= 1 else value * 0.6


def bayesian_quality(
    mean_rating: float | None, ratings: int, *, prior: float = 0.7, weight: int = 5
) -> float:
    """Shrink a small sample towards the prior (0..1 scale): 2 five-star ratings is not 1.0."""
    observed = 0.0 if mean_rating is None else mean_rating
    return (prior * weight + observed * ratings) / (weight + ratings)


def activity_value(recent_resolutions: int, *, saturation: int = 10) -> float:
    """Diminishing returns: 0 -> 0, 3 -> 0.6, 10+ -> 1.0 (log scale)."""
    if recent_resolutions <= 0:
        return 0.0
    return min(1.0, math.log1p(recent_resolutions) / math.log1p(saturation))


def recency_decayed(recency: float, recency_seq: int, brand_seq: int) -> float:
    """An expert's stored recency (as of the brand's question ``recency_seq``) decayed to now."""
    since = max(0, brand_seq - recency_seq)
    return recency * 0.5 ** (since / RECENCY_HALF_LIFE_QUESTIONS)


def recency_value(
    decayed: float, *, unit: float = RECENCY_UNIT, ceiling: float = RECENCY_CEILING
) -> float:
    """Decayed recent resolutions to [0, 1] on a log scale: 0 -> 0, ``ceiling`` or more -> 1;
    each doubling adds the same step."""
    if decayed <= 0:
        return 0.0
    return min(1.0, math.log1p(decayed / unit) / math.log1p(ceiling / unit))


def last_value(
    since_last: float | None, *, half_life: float = RECENCY_HALF_LIFE_QUESTIONS
) -> float:
    """How recently she last resolved, in [0, 1]: 1 for the brand's latest question, halved
    every ``half_life`` questions since, 0 for never."""
    if since_last is None:
        return 0.0
    return 0.5 ** (max(0.0, since_last) / half_life)


def activity_score(
    decayed: float,
    since_last: float | None,
    *,
    unit: float = RECENCY_UNIT,
    last_share: float = RECENCY_LAST_SHARE,
    half_life: float = RECENCY_HALF_LIFE_QUESTIONS,
) -> float:
    """The activity feature: how much she resolved lately (``recency_value`` of the decayed
    count) blended with how lately she last resolved (``last_value``), ``last_share`` of it
    the latter. The count alone cannot tell apart two experts with one resolution each, or
    an expert with many old ones from one who answered a moment ago."""
    volume = recency_value(decayed, unit=unit)
    return (1.0 - last_share) * volume + last_share * last_value(since_last, half_life=half_life)


def fairness_value(idle_seconds: float | None, offers_this_hour: int, cap: int) -> float:
    idle = 1.0 if idle_seconds is None else min(1.0, idle_seconds / 3600.0)
    used = min(1.0, offers_this_hour / cap) if cap else 0.0
    return max(0.0, 0.7 * idle + 0.3 * (1.0 - used))


def words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP}


def text_fit_value(question: str, history: Iterable[str]) -> float | None:
    """Best Jaccard overlap between the question and texts the expert resolved well."""
    target = words(question)
    if not target:
        return None
    best = None
    for past in history:
        other = words(past)
        if not other:
            continue
        overlap = len(target & other) / len(target | other)
        best = overlap if best is None else max(best, overlap)
    return None if best is None else min(1.0, best * 2.5)
