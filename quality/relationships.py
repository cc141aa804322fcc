"""The brand's relationships with its customers: returning customers, the customers who ask
most, and one customer's history with the brand. SQL aggregates; Python only formats the
few rows returned (one customer's questions, the top customers).

Definitions (shown on the dashboard):
- *customers*: signed-in customers who asked the brand at least one question in the range
  (anonymous visitors cannot be told apart and are left out).
- *returning customers*: of those, the share who asked the brand another question within
  ``RETURN_WINDOW_DAYS`` days after their first question in the range. The later question
  may fall after the range; for a range that ends less than 90 days ago the window is not
  over yet, so the figure can still rise.
- a customer's *experts seen*: the distinct experts who handled her questions (accepted,
  resolved, passed to staff or handed back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Min, OuterRef, Q, QuerySet, Subquery

from gigcx.models import User
from marketplace.models import Brand, Expert
from quality.models import Rating
from quality.sentiment import lift_steps
from routing.models import Assignment, Question

RETURN_WINDOW_DAYS = 90
TOP_CUSTOMERS = 20
# A customer's page lists her newest questions to the brand.
CUSTOMER_QUESTIONS = 200
HANDLED = (
    Assignment.Status.ACCEPTED,
    Assignment.Status.RESOLVED,
    Assignment.Status.ESCALATED,
    Assignment.Status.RELEASED,
)


def _asked(brand: Brand) -> QuerySet[Question]:
    return Question.objects.filter(brand=brand, asked_by__isnull=False)


def returning_customers(*, brand: Brand, low: datetime, high: datetime) -> dict[str, Any]:
    """Customers in the range and how many came back within the window: one aggregate over
    the range's own rows. A customer is counted at her first question in the range (the one
    whose previous question to the brand, if any, is older than the range); she returned
    when her next question came within the window (the chain written at intake:
    ``Question.asked_before_at`` / ``asked_again_at``)."""
    firsts = _asked(brand).filter(
        Q(asked_before_at__isnull=True) | Q(asked_before_at__lt=low),
        created_at__gte=low,
        created_at__lt=high,
    )
    row = firsts.aggregate(
        customers=Count("pk"),
        returning=Count(
            "pk",
            filter=Q(asked_again_at__lte=F("created_at") + timedelta(days=RETURN_WINDOW_DAYS)),
        ),
    )
    customers, returning = row["customers"], row["returning"]
    return {
        "customers": customers,
        "returning_customers": returning,
        "returning_share": None if not customers else round(returning / customers, 4),
        "return_window_days": RETURN_WINDOW_DAYS,
    }


def top_customers(
    *, brand: Brand, low: datetime, high: datetime, limit: int | None = TOP_CUSTOMERS
) -> list[dict[str, Any]]:
    """The customers who asked most in the range: questions, ratings, mean rating, experts
    seen (four queries, whatever the number of rows). The ranking counts questions alone
    (the covering index serves it without reading the table); ratings and experts are then
    gathered for the customers shown only."""
    in_range = _asked(brand).filter(created_at__gte=low, created_at__lt=high)
    rows_qs = (
        in_range.order_by()
        .values("asked_by_id")
        .annotate(questions=Count("pk"))
        .order_by("-questions", "asked_by_id")
    )
    rows = list(rows_qs if limit is None else rows_qs[:limit])
    ids = [row["asked_by_id"] for row in rows]
    ratings = {
        row["question__asked_by_id"]: row
        for row in Rating.objects.filter(
            question__in=in_range.filter(asked_by_id__in=ids) if limit is not None else in_range
        )
        .order_by()
        .values("question__asked_by_id")
        .annotate(ratings=Count("pk"), csat_mean=Avg("score"))
    }
    experts = dict(
        Assignment.objects.filter(
            question__brand=brand,
            question__asked_by_id__in=ids,
            question__created_at__gte=low,
            question__created_at__lt=high,
            status__in=HANDLED,
        )
        .order_by()
        .values("question__asked_by_id")
        .annotate(n=Count("expert_id", distinct=True))
        .values_list("question__asked_by_id", "n")
    )
    names = {
        pk: name or email.split("@", 1)[0]
        for pk, name, email in User.objects.filter(pk__in=ids).values_list("pk", "name", "email")
    }
    result = []
    for row in rows:
        rated = ratings.get(row["asked_by_id"], {})
        mean = rated.get("csat_mean")
        result.append(
            {
                "customer_id": row["asked_by_id"],
                "customer": names.get(row["asked_by_id"], ""),
                "questions": row["questions"],
                "ratings": rated.get("ratings", 0),
                "csat_mean": None if mean is None else round(mean, 3),
                "experts_seen": experts.get(row["asked_by_id"], 0),
            }
        )
    return result


@dataclass
class Relationship:
    """One customer's history with one brand."""

    customer: User
    questions: list[dict[str, Any]] = field(default_factory=list)
    question_count: int = 0
    first_asked: datetime | None = None
    # Her ratings, oldest first: (when, score).
    ratings: list[tuple[datetime, int]] = field(default_factory=list)
    experts: list[dict[str, Any]] = field(default_factory=list)
    csat_mean: float | None = None
    # Every product she asked about, by name (not only those of the questions listed).
    products: list[str] = field(default_factory=list)

    @property
    def csat_trend(self) -> str:
        """ "up", "down" or "steady": her newer half of ratings against the older half."""
        scores = [score for _, score in self.ratings]
        if len(scores) < 2:
            return ""
        half = len(scores) // 2
        older = sum(scores[:half]) / half
        newer = sum(scores[half:]) / (len(scores) - half)
        if newer - older >= 0.5:
            return "up"
        if older - newer >= 0.5:
            return "down"
        return "steady"

    @property
    def trend_points(self) -> str:
        """An SVG polyline of her ratings (1..5) over 160x36."""
        scores = [score for _, score in self.ratings]
        if len(scores) < 2:
            return ""
        step = 160 / (len(scores) - 1)
        return " ".join(
            f"{i * step:.1f},{36 - (s - 1) / 4 * 32 - 2:.1f}" for i, s in enumerate(scores)
        )


def customer_relationship(
    *, brand: Brand, customer_id: int, question_limit: int = CUSTOMER_QUESTIONS
) -> Relationship | None:
    """Her questions to the brand (the newest ``question_limit``, with rating, sentiment lift
    and the experts who handled them), her ratings over time, the products she asked about
    and the experts she has met; None when she never asked this brand anything (the caller
    answers 404)."""
    customer = User.objects.filter(pk=customer_id).first()
    if customer is None:
        return None
    asked = _asked(brand).filter(asked_by_id=customer_id)
    summary = asked.aggregate(n=Count("pk"), first=Min("created_at"))
    if not summary["n"]:
        return None
    first, second = lift_steps("pk")
    rating = Rating.objects.filter(question_id=OuterRef("pk"))
    questions = list(
        asked.annotate(**first)
        .annotate(**second)
        .annotate(
            rating_score=Subquery(rating.values("score")[:1]),
            rating_solved=Subquery(rating.values("solved")[:1]),
        )
        .select_related("product")
        .order_by("-created_at", "-pk")[: max(1, min(question_limit, CUSTOMER_QUESTIONS))]
    )
    handled = (
        Assignment.objects.filter(question__in=[q.pk for q in questions], status__in=HANDLED)
        .order_by("offered_at")
        .values_list("question_id", "expert_id")
    )
    by_question: dict[int, list[int]] = {}
    for question_id, expert_id in handled:
        seen = by_question.setdefault(question_id, [])
        if expert_id not in seen:
            seen.append(expert_id)
    expert_rows = list(
        Assignment.objects.filter(question__in=asked, status__in=HANDLED)
        .annotate(
            rating_score=Subquery(
                Rating.objects.filter(
                    question_id=OuterRef("question_id"), expert_id=OuterRef("expert_id")
                ).values("score")[:1]
            )
        )
        .order_by()
        .values("expert_id")
        .annotate(
            conversations=Count("question_id", distinct=True),
            ratings=Count("rating_score"),
            csat_mean=Avg("rating_score"),
        )
        .order_by("-conversations", "expert_id")
    )
    names = expert_names({row["expert_id"] for row in expert_rows})
    ratings = list(
        Rating.objects.filter(question__in=asked)
        .order_by("created_at", "pk")
        .values_list("created_at", "score")
    )
    products = sorted(
        asked.exclude(product=None).order_by().values_list("product__name", flat=True).distinct()
    )
    return Relationship(
        customer=customer,
        products=products,
        question_count=summary["n"],
        first_asked=summary["first"],
        questions=[
            {
                "id": q.pk,
                "created_at": q.created_at,
                "product": q.product.name if q.product else None,
                "status": q.status,
                "status_label": q.get_status_display(),
                "rating": q.rating_score,
                "solved": q.rating_solved,
                "sentiment_lift": None if q.lift is None else round(q.lift, 3),
                "experts": [names.get(pk, "") for pk in by_question.get(q.pk, [])],
            }
            for q in questions
        ],
        ratings=ratings,
        csat_mean=(
            None if not ratings else round(sum(score for _, score in ratings) / len(ratings), 3)
        ),
        experts=[
            {
                "expert_id": row["expert_id"],
                "expert": names.get(row["expert_id"], ""),
                "conversations": row["conversations"],
                "ratings": row["ratings"],
                "csat_mean": None if row["csat_mean"] is None else round(row["csat_mean"], 3),
            }
            for row in expert_rows
        ],
    )


def expert_names(ids: set[int]) -> dict[int, str]:
    return {
        pk: profile_name or name or email.split("@")[0]
        for pk, profile_name, name, email in Expert.objects.filter(pk__in=ids).values_list(
            "pk", "user__expert_profile__display_name", "user__name", "user__email"
        )
    }
