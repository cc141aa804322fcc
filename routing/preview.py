"""What a change of routing weights would have done to the brand's recent questions.

Every offer keeps the "why this expert" breakdown it was scored with: each factor's value.
Re-weighing those values with proposed weights shows, before anything is saved, which of
the experts offered each recent question would have come first instead. Only experts who
were offered a question have a breakdown, so the preview compares among them; it cannot
say that an expert nobody offered would have won.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from marketplace.models import Brand
from routing.models import Assignment
from routing.scoring import merged_weights

RECENT_QUESTIONS = 50


@dataclass(frozen=True)
class ChangedQuestion:
    question_id: int
    first_line: str
    before: str
    after: str


@dataclass
class WeightsPreview:
    examined: int = 0
    changed: list[ChangedQuestion] = field(default_factory=list)
    # expert name -> (questions first before, questions first after)
    firsts: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def changed_count(self) -> int:
        return len(self.changed)


def rescore(
    breakdown: Mapping[str, Mapping[str, object]],
    weights: Mapping[str, float],
    frustration: float,
) -> float:
    """The score ``breakdown``'s factor values earn under ``weights`` (as scoring.py adds)."""
    total = 0.0
    for name, weight in weights.items():
        value = (breakdown.get(name) or {}).get("value")
        if not isinstance(value, int | float):
            continue
        effective = weight * max(0.0, min(1.0, frustration)) if name == "empathy" else weight
        total += effective * float(value)
    return total


def weights_preview(
    *, brand: Brand, weights: Mapping[str, float], limit: int = RECENT_QUESTIONS
) -> WeightsPreview:
    """Among the experts offered each of the brand's last ``limit`` questions that had two
    or more offers, who comes first today and who would under ``weights``."""
    proposed = merged_weights(weights)
    recent = (
        Assignment.objects.filter(question__brand=brand)
        .order_by("-question_id")
        .values_list("question_id", flat=True)
        .distinct()[: limit * 4]
    )
    offers = (
        Assignment.objects.filter(question_id__in=list(recent))
        .select_related("question", "expert__user__expert_profile")
        .order_by("-question_id", "offered_at", "pk")
    )
    by_question: dict[int, list[Assignment]] = {}
    for offer in offers:
        by_question.setdefault(offer.question_id, []).append(offer)

    preview = WeightsPreview()
    before_counts: Counter[str] = Counter()
    after_counts: Counter[str] = Counter()
    for question_id, group in by_question.items():
        experts = {offer.expert_id: offer for offer in group if offer.breakdown}
        if len(experts) < 2:
            continue
        if preview.examined >= limit:
            break
        preview.examined += 1
        question = group[0].question
        frustration = question.frustration or 0.0

        def today(offer: Assignment) -> tuple[float, int]:
            return (-offer.score, offer.expert_id)

        def proposed_order(offer: Assignment, f: float = frustration) -> tuple[float, int]:
            return (-rescore(offer.breakdown, proposed, f), offer.expert_id)

        first_today = min(experts.values(), key=today)
        first_proposed = min(experts.values(), key=proposed_order)
        before, after = first_today.expert.display_name, first_proposed.expert.display_name
        before_counts[before] += 1
        after_counts[after] += 1
        if first_today.expert_id != first_proposed.expert_id:
            preview.changed.append(
                ChangedQuestion(
                    question_id=question_id,
                    first_line=(question.redacted_body or question.body).splitlines()[0][:120],
                    before=before,
                    after=after,
                )
            )
    names = sorted(set(before_counts) | set(after_counts))
    preview.firsts = {name: (before_counts[name], after_counts[name]) for name in names}
    return preview
