"""Reads for quality: ratings, an expert's history and standing, reviews, brand figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext

from gigcx.tenancy import Viewer
from marketplace.models import Brand, Expert
from quality import badges, scoring
from quality.models import ExpertBadge, ExpertScore, LeaderboardOptIn, Rating
from routing.models import Assignment

TREND_POINTS = 12


def rating_for_question(*, question_id: int) -> Rating | None:
    return (
        Rating.objects.select_related("expert__user__expert_profile")
        .filter(question_id=question_id)
        .first()
    )


def rating_scores(question_ids: list[int]) -> dict[int, int]:
    """The customer's rating (1..5) of each of these questions that has one."""
    return dict(
        Rating.objects.filter(question_id__in=question_ids).values_list("question_id", "score")
    )


def expert_handled_assignments(*, user_id: int) -> QuerySet[Assignment]:
    """The conversations the expert handled and finished (resolved, or passed to staff), newest
    first, each with its rating (one query)."""
    rating = Rating.objects.filter(question_id=OuterRef("question_id"))
    return (
        Assignment.objects.filter(
            expert__user_id=user_id,
            status__in=[Assignment.Status.RESOLVED, Assignment.Status.ESCALATED],
        )
        .select_related("question", "question__product", "question__brand")
        .annotate(
            rating_score=Subquery(rating.values("score")[:1]),
            rating_solved=Subquery(rating.values("solved")[:1]),
            rating_comment=Subquery(rating.values("redacted_comment")[:1]),
        )
        .order_by("-ended_at", "-pk")
    )


# What the expert's history lists: conversations she finished, passed on or passed to staff.
HISTORY_STATUSES = (
    Assignment.Status.RESOLVED,
    Assignment.Status.RELEASED,
    Assignment.Status.ESCALATED,
)


def expert_history_assignments(*, user_id: int) -> QuerySet[Assignment]:
    """Every conversation the expert handled to an end (resolved, released, escalated), newest
    first, with the rating only when it rates her (a released question may be rated for the
    expert who finished it). One query per page; the rating is a correlated subquery."""
    rating = Rating.objects.filter(
        question_id=OuterRef("question_id"), expert_id=OuterRef("expert_id")
    )
    return (
        Assignment.objects.filter(expert__user_id=user_id, status__in=HISTORY_STATUSES)
        .select_related("question", "question__product", "question__brand")
        .annotate(
            rating_score=Subquery(rating.values("score")[:1]),
            rating_solved=Subquery(rating.values("solved")[:1]),
            rating_comment=Subquery(rating.values("redacted_comment")[:1]),
        )
        .order_by("-ended_at", "-pk")
    )


def expert_resolved_by_day(*, user_id: int, since: datetime, zone: Any) -> dict[Any, int]:
    """Conversations she resolved per local day (her time zone) since ``since`` (one query)."""
    rows = (
        Assignment.objects.filter(
            expert__user_id=user_id, status=Assignment.Status.RESOLVED, ended_at__gte=since
        )
        .annotate(day=TruncDate("ended_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def expert_ratings_by_day(
    *, user_id: int, since: datetime, zone: Any
) -> dict[Any, tuple[int, Decimal]]:
    """Ratings of her work per local day: (count, mean to two places) (one query). The mean
    comes from SQL's sum and count and is rounded as a Decimal, never through a float."""
    rows = (
        Rating.objects.filter(expert__user_id=user_id, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"), total=Sum("score"))
        .order_by()
    )
    return {
        row["day"]: (
            row["n"],
            (Decimal(row["total"]) / row["n"]).quantize(Decimal("0.01"), ROUND_HALF_UP),
        )
        for row in rows
    }


@dataclass
class PartRow:
    name: str
    label: str | Promise
    value: float | None
    weight: float
    shown: str


@dataclass
class Standing:
    """One pool's standing for the expert: her newest score, its parts, tier and what next."""

    expert: Expert
    latest: ExpertScore | None
    parts: list[PartRow] = field(default_factory=list)
    next_tier: str | None = None
    trend: list[ExpertScore] = field(default_factory=list)
    trend_points: str = ""
    # (rule, the badges of that kind she earned, newest first) for every badge there is.
    badges: list[tuple[badges.BadgeRule, list[ExpertBadge]]] = field(default_factory=list)
    on_leaderboard: bool = False
    empathy: PartRow | None = None

    @property
    def tier_label(self) -> str:
        return self.expert.get_tier_display()


def _shown(name: str, snapshot: ExpertScore) -> str:
    if name == "csat":
        if snapshot.csat_mean is None:
            return gettext("no ratings yet")
        return gettext(
            "%(bayes)s ★ (your mean %(mean)s over %(count)s, brand mean %(brand_mean)s)"
        ) % {
            "bayes": number_format(snapshot.csat_bayes or 0.0, 2),
            "mean": number_format(snapshot.csat_mean, 2),
            "count": snapshot.ratings_count,
            "brand_mean": number_format(snapshot.brand_mean or 0, 2),
        }
    if name == "resolution":
        rate = snapshot.resolution_rate
        if rate is None:
            return "—"
        return gettext("%(rate)s of %(count)s conversations") % {
            "rate": f"{rate:.0%}",
            "count": snapshot.handled_count,
        }
    if name == "qa":
        return (
            gettext("no reviews yet")
            if snapshot.qa_average is None
            else f"{snapshot.qa_average:.0%}"
        )
    if name == "lift":
        if snapshot.sentiment_lift is None:
            return gettext("no conversation with two customer messages yet")
        return ngettext(
            "%(lift)s on average over %(count)s conversation",
            "%(lift)s on average over %(count)s conversations",
            snapshot.lift_count,
        ) % {
            "lift": ("+" if snapshot.sentiment_lift >= 0 else "-")
            + number_format(abs(snapshot.sentiment_lift), 2),
            "count": snapshot.lift_count,
        }
    if name == "empathy":
        if snapshot.empathy_fit is None:
            return gettext("no conversation that started upset yet")
        return gettext("over %(count)s that started upset") % {"count": snapshot.upset_count}
    if name == "acceptance":
        rate = snapshot.acceptance_rate
        return "—" if rate is None else gettext("%(rate)s of offers") % {"rate": f"{rate:.0%}"}
    seconds = snapshot.first_reply_seconds
    if seconds is None:
        return "—"
    if seconds >= 90:
        return gettext("%(minutes)s min (median)") % {"minutes": number_format(seconds / 60, 1)}
    return gettext("%(seconds)s s (median)") % {"seconds": number_format(seconds, 0)}


def _sparkline(scores: list[ExpertScore], width: int = 160, height: int = 36) -> str:
    values = [float(s.score) for s in reversed(scores) if s.score is not None]
    if len(values) < 2:
        return ""
    step = width / (len(values) - 1)
    return " ".join(
        f"{index * step:.1f},{height - value * height:.1f}" for index, value in enumerate(values)
    )


def expert_standing(*, user_id: int) -> list[Standing]:
    """Her standing in every pool she is in (one query per pool for the trend)."""
    standings = []
    experts = Expert.objects.filter(user_id=user_id).select_related("brand").order_by("brand__name")
    for expert in experts:
        trend = list(ExpertScore.objects.filter(expert=expert)[:TREND_POINTS])
        latest = trend[0] if trend else None
        parts = []
        if latest is not None:
            for name, label in scoring.PART_LABELS.items():
                part = latest.parts.get(name, {})
                parts.append(
                    PartRow(
                        name=name,
                        label=label,
                        value=part.get("value"),
                        weight=part.get("weight") or 0.0,
                        shown=_shown(name, latest),
                    )
                )
        empathy = None
        if latest is not None:
            value = (latest.parts.get("empathy") or {}).get("value")
            empathy = PartRow(
                name="empathy",
                label=scoring.EMPATHY_LABEL,
                value=value,
                weight=0.0,
                shown=_shown("empathy", latest),
            )
        earned: dict[str, list[ExpertBadge]] = {}
        for badge in ExpertBadge.objects.filter(expert=expert):
            earned.setdefault(badge.kind, []).append(badge)
        score = None if latest is None or latest.score is None else float(latest.score)
        standings.append(
            Standing(
                expert=expert,
                latest=latest,
                parts=parts,
                next_tier=scoring.next_tier_needs(
                    score, latest.ratings_count if latest else 0, current=expert.tier
                ),
                trend=trend,
                trend_points=_sparkline(trend),
                badges=[(rule, earned.get(rule.kind, [])) for rule in badges.RULES],
                on_leaderboard=LeaderboardOptIn.objects.filter(expert=expert).exists(),
                empathy=empathy,
            )
        )
    return standings


def expert_latest_score(*, expert: Expert, viewer: Any) -> ExpertScore | None:
    return ExpertScore.objects.visible_to(viewer).filter(expert=expert).first()


def tier_rules() -> list[dict[str, Any]]:
    return [
        {"name": r.name, "label": r.label, "enter": r.enter, "keep": r.keep, "min": r.min_ratings}
        for r in scoring.TIER_RULES
    ]


def leaderboard_brand(*, viewer: Viewer, slug: str) -> Brand:
    """The brand whose leaderboard the viewer may see: an expert in its pool (approved or on
    probation) or its staff. Anyone else gets 404, as if there were no such brand."""
    brand = Brand.objects.filter(slug=slug).first()
    if brand is None or viewer.user_id is None:
        raise Http404(gettext("No such leaderboard."))
    in_pool = Expert.objects.filter(
        brand=brand,
        user_id=viewer.user_id,
        status__in=[Expert.Status.APPROVED, Expert.Status.PROBATION],
    ).exists()
    if not (in_pool or viewer.is_staff_of(brand.pk)):
        raise Http404(gettext("No such leaderboard."))
    return brand


def month_start(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def leaderboard(*, brand: Brand, now: datetime | None = None) -> QuerySet[Expert]:
    """The brand's experts who opted in, best score first, each with ``resolutions_month``
    (conversations resolved since the 1st). Nobody who has not opted in is ever listed."""
    resolved = (
        Assignment.objects.filter(
            expert_id=OuterRef("pk"),
            status=Assignment.Status.RESOLVED,
            ended_at__gte=month_start(now),
        )
        .order_by()
        .values("expert_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Expert.objects.filter(
            brand=brand,
            leaderboard__isnull=False,
            status__in=[Expert.Status.APPROVED, Expert.Status.PROBATION],
        )
        .select_related("user__expert_profile")
        .annotate(
            resolutions_month=Coalesce(Subquery(resolved, output_field=IntegerField()), Value(0))
        )
        .order_by(F("quality_score").desc(nulls_last=True), "-resolutions_month", "pk")
    )
