"""Badges (rules: quality.badges): awarded from SQL aggregates when an expert's score is
recomputed (a rating, a review, the nightly run), and the pool's top-rated month nightly.
Idempotent: a badge is kept once earned and the unique (expert, kind, period) constraint
means a second run, or two at once, never award it twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone

from marketplace.models import Expert
from quality import badges, scoring
from quality.models import ExpertBadge, ExpertScore, Rating
from routing.models import Assignment

Kind = ExpertBadge.Kind


def badges_award(*, expert: Expert, snapshot: ExpertScore | None = None) -> list[str]:
    """Award the once-only badges her figures earn now; return the kinds newly earned.
    ``snapshot`` is the score just computed (for the sentiment lift); without it the newest
    one is read."""
    held = set(ExpertBadge.objects.filter(expert=expert, period="").values_list("kind", flat=True))
    earned: list[tuple[str, str]] = []
    if Kind.FIRST_TEN not in held:
        resolved = Assignment.objects.filter(
            expert=expert, status=Assignment.Status.RESOLVED
        ).count()
        if resolved >= badges.FIRST_RESOLUTIONS:
            earned.append((Kind.FIRST_TEN, f"{resolved} conversations resolved"))
    if Kind.CALMER_CUSTOMERS not in held:
        snapshot = snapshot or ExpertScore.objects.filter(expert=expert).first()
        if (
            snapshot is not None
            and snapshot.sentiment_lift is not None
            and snapshot.sentiment_lift > 0
            and snapshot.lift_count >= badges.CALMER_MIN_CONVERSATIONS
        ):
            earned.append(
                (
                    Kind.CALMER_CUSTOMERS,
                    f"customers ended {snapshot.sentiment_lift:+.2f} calmer on average over "
                    f"{snapshot.lift_count} conversations",
                )
            )
    if not earned:
        return []
    now = timezone.now()
    ExpertBadge.objects.bulk_create(
        [
            ExpertBadge(
                expert=expert,
                brand_id=expert.brand_id,
                kind=kind,
                period="",
                earned_at=now,
                detail=detail,
            )
            for kind, detail in earned
        ],
        ignore_conflicts=True,
    )
    return [kind for kind, _ in earned]


def last_month(today: date) -> tuple[date, date]:
    """The first day of the calendar month before ``today``'s, and of ``today``'s."""
    this_month = today.replace(day=1)
    return (this_month - timedelta(days=1)).replace(day=1), this_month


def badges_award_top_rated_month(*, brand_id: int, today: date | None = None) -> Any:
    """The pool's top-rated expert of last calendar month gets the badge (once; None when
    it was already awarded or nobody had enough ratings)."""
    start, end = last_month(today or timezone.localdate())
    period = f"{start:%Y-%m}"
    if ExpertBadge.objects.filter(
        brand_id=brand_id, kind=Kind.TOP_RATED_MONTH, period=period
    ).exists():
        return None
    tz = timezone.get_current_timezone()
    low = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    high = datetime.combine(end, datetime.min.time(), tzinfo=tz)
    month = Rating.objects.filter(brand_id=brand_id, created_at__gte=low, created_at__lt=high)
    mean = month.aggregate(mean=Avg("score"))["mean"]
    prior = scoring.DEFAULT_BRAND_MEAN if mean is None else mean
    weight = scoring.CSAT_PRIOR_WEIGHT
    best = (
        month.filter(expert__isnull=False)
        .values("expert_id")
        .annotate(n=Count("pk"), total=Sum("score"))
        .filter(n__gte=badges.TOP_MONTH_MIN_RATINGS)
        .annotate(
            bayes=ExpressionWrapper(
                (Value(prior * weight) + Cast(F("total"), FloatField()))
                / (Value(float(weight)) + Cast(F("n"), FloatField())),
                output_field=FloatField(),
            )
        )
        .order_by("-bayes", "-n", "expert_id")
        .first()
    )
    if best is None:
        return None
    badge, _ = ExpertBadge.objects.get_or_create(
        expert_id=best["expert_id"],
        kind=Kind.TOP_RATED_MONTH,
        period=period,
        defaults={
            "brand_id": brand_id,
            "earned_at": timezone.now(),
            "detail": f"{best['bayes']:.2f} ★ over {best['n']} ratings in {start:%B %Y}",
        },
    )
    return badge
