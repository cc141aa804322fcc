"""The brand's service figures for a date range, from SQL aggregates.

Every figure is one aggregate over the brand's questions asked in the range (annotated with
correlated subqueries for the first human reply and the rating), grouped for the breakdowns
by product and by expert; nothing loops over question rows in Python.

Definitions (shown on the dashboard):
- *answered automatically*: the automated line answered and the question never went to a
  person; *handed to people*: it was sent to the expert queue (``waiting_since`` is set).
- *time to first human reply*: from being handed to people to the first message of an
  expert or the brand's staff (mean, in seconds).
- *SLA hit rate*: of the questions handed to people whose SLA is decided (answered, or past
  due), the share with a first human reply by the SLA deadline.
- *CSAT*: the mean rating (1-5) and the share of ratings of 4 or 5; split by whether a
  person answered.
- *reopen rate*: of the questions resolved, the share the customer reopened as not solved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from marketplace.models import Brand
from quality.models import Rating
from routing.models import Assignment, Message, Question

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        low = datetime.combine(self.start, datetime.min.time(), tzinfo=tz)
        high = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        return low, high


class SecondsBetween(Func):
    """``end - start`` in seconds, as a float, computed by the database."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM (%(expressions)s))"
        return super().as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((julianday(%(expressions)s)) * 86400.0)"
        return super().as_sql(
            compiler, connection, template=template, arg_joiner=") - julianday(", **extra
        )


def _annotated(brand: Brand, period: Period) -> QuerySet[Question]:
    low, high = period.bounds
    first_human = (
        Message.objects.filter(
            question_id=OuterRef("pk"), role__in=[Message.Role.EXPERT, Message.Role.STAFF]
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rating = Rating.objects.filter(question_id=OuterRef("pk"))
    return (
        Question.objects.filter(brand=brand, created_at__gte=low, created_at__lt=high)
        .annotate(
            first_human_at=Subquery(first_human),
            had_ai=Exists(Message.objects.filter(question_id=OuterRef("pk"), role="ai")),
            rating_score=Subquery(rating.values("score")[:1]),
            rating_automated=Subquery(rating.values("automated")[:1]),
            was_reopened=Exists(rating.filter(reopened_at__isnull=False)),
        )
        .annotate(
            human_wait=Subquery(
                first_human.annotate(
                    wait=SecondsBetween(F("created_at"), OuterRef("waiting_since"))
                ).values("wait")[:1]
            )
        )
    )


def _aggregates(now: datetime) -> dict[str, Any]:
    human = Q(waiting_since__isnull=False)
    hit = human & Q(first_human_at__isnull=False, first_human_at__lte=F("sla_due_at"))
    decided = (
        human
        & Q(sla_due_at__isnull=False)
        & (Q(first_human_at__isnull=False) | Q(sla_due_at__lt=now))
    )
    rated = Q(rating_score__isnull=False)
    resolved = Q(status=Question.Status.RESOLVED) | rated
    return {
        "questions": Count("pk"),
        "automated": Count("pk", filter=Q(waiting_since__isnull=True, had_ai=True)),
        "human": Count("pk", filter=human),
        "first_reply": Avg("human_wait", filter=human & Q(first_human_at__isnull=False)),
        "sla_decided": Count("pk", filter=decided),
        "sla_hit": Count("pk", filter=hit),
        "rated": Count("pk", filter=rated),
        "csat_mean": Avg("rating_score"),
        "csat_good": Count("pk", filter=Q(rating_score__gte=4)),
        "rated_automated": Count("pk", filter=rated & Q(rating_automated=True)),
        "csat_automated": Avg("rating_score", filter=Q(rating_automated=True)),
        "rated_human": Count("pk", filter=rated & Q(rating_automated=False)),
        "csat_human": Avg("rating_score", filter=Q(rating_automated=False)),
        "resolved": Count("pk", filter=resolved),
        "reopened": Count("pk", filter=Q(was_reopened=True)),
    }


def _ratio(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    def mean(value: Any) -> float | None:
        return None if value is None else round(float(value), 3)

    return {
        "questions": row["questions"],
        "automated_share": _ratio(row["automated"], row["questions"]),
        "human_share": _ratio(row["human"], row["questions"]),
        "first_human_reply_seconds": _seconds(row["first_reply"]),
        "sla_hit_rate": _ratio(row["sla_hit"], row["sla_decided"]),
        "ratings": row["rated"],
        "csat_mean": mean(row["csat_mean"]),
        "csat_share": _ratio(row["csat_good"], row["rated"]),
        "csat_automated": mean(row["csat_automated"]),
        "csat_human": mean(row["csat_human"]),
        "resolved": row["resolved"],
        "reopen_rate": _ratio(row["reopened"], row["resolved"]),
    }


def brand_metrics_overall(
    *, brand: Brand, period: Period, now: datetime | None = None
) -> dict[str, Any]:
    """Only the overall figures (one query): the dashboard's summary."""
    now = now or timezone.now()
    return _figures(_annotated(brand, period).aggregate(**_aggregates(now)))


def brand_metrics(*, brand: Brand, period: Period, now: datetime | None = None) -> dict[str, Any]:
    """Overall figures, by product and by expert, for questions asked in the period."""
    now = now or timezone.now()
    questions = _annotated(brand, period)
    aggregates = _aggregates(now)
    overall = _figures(questions.aggregate(**aggregates))
    by_product = [
        {"product_id": row["product_id"], "product": row["product__name"], **_figures(row)}
        for row in questions.order_by()
        .values("product_id", "product__name")
        .annotate(**aggregates)
        .order_by("product__name")
    ]
    return {
        "brand": brand.slug,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "overall": overall,
        "by_product": by_product,
        "by_expert": _by_expert(brand, period),
        "daily": _daily(questions),
    }


def _by_expert(brand: Brand, period: Period) -> list[dict[str, Any]]:
    """Per expert who handled the period's questions: conversations, resolutions, escalations,
    mean first reply after accepting, CSAT and reopen rate of the questions she resolved."""
    low, high = period.bounds
    first_reply = (
        Message.objects.filter(
            question_id=OuterRef("question_id"),
            role=Message.Role.EXPERT,
            author_id=OuterRef("expert__user_id"),
            created_at__gte=OuterRef("responded_at"),
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rating = Rating.objects.filter(
        question_id=OuterRef("question_id"), expert_id=OuterRef("expert_id")
    )
    rows = (
        Assignment.objects.filter(
            question__brand=brand,
            question__created_at__gte=low,
            question__created_at__lt=high,
            status__in=[
                Assignment.Status.ACCEPTED,
                Assignment.Status.RESOLVED,
                Assignment.Status.ESCALATED,
                Assignment.Status.RELEASED,
            ],
        )
        .annotate(
            first_at=Subquery(first_reply),
            rating_score=Subquery(rating.values("score")[:1]),
            was_reopened=Exists(rating.filter(reopened_at__isnull=False)),
        )
        .annotate(
            reply=Subquery(
                first_reply.annotate(
                    wait=SecondsBetween(F("created_at"), OuterRef("responded_at"))
                ).values("wait")[:1]
            )
        )
        .order_by()
        .values(
            "expert_id",
            "expert__user__expert_profile__display_name",
            "expert__user__name",
        )
        .annotate(
            handled=Count("pk"),
            resolved=Count("pk", filter=Q(status=Assignment.Status.RESOLVED)),
            escalated=Count("pk", filter=Q(status=Assignment.Status.ESCALATED)),
            first_reply=Avg("reply"),
            rated=Count("pk", filter=Q(rating_score__isnull=False)),
            csat_mean=Avg("rating_score"),
            csat_good=Count("pk", filter=Q(rating_score__gte=4)),
            reopened=Count("pk", filter=Q(was_reopened=True, status=Assignment.Status.RESOLVED)),
        )
        .order_by("-handled", "expert_id")
    )
    return [
        {
            "expert_id": row["expert_id"],
            "expert": row["expert__user__expert_profile__display_name"]
            or row["expert__user__name"],
            "handled": row["handled"],
            "resolved": row["resolved"],
            "escalated": row["escalated"],
            "first_reply_seconds": _seconds(row["first_reply"]),
            "ratings": row["rated"],
            "csat_mean": None if row["csat_mean"] is None else round(float(row["csat_mean"]), 3),
            "csat_share": _ratio(row["csat_good"], row["rated"]),
            "reopen_rate": _ratio(row["reopened"], row["resolved"]),
        }
        for row in rows
    ]


def _daily(questions: QuerySet[Question]) -> list[dict[str, Any]]:
    """Per day: questions, answered automatically, handed to people, ratings and their mean."""
    from django.db.models.functions import TruncDate

    rows = (
        questions.order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            questions=Count("pk"),
            automated=Count("pk", filter=Q(waiting_since__isnull=True, had_ai=True)),
            human=Count("pk", filter=Q(waiting_since__isnull=False)),
            rated=Count("pk", filter=Q(rating_score__isnull=False)),
            csat_mean=Avg("rating_score"),
        )
        .order_by("day")
    )
    return [
        {
            "day": row["day"].isoformat(),
            "questions": row["questions"],
            "automated": row["automated"],
            "human": row["human"],
            "ratings": row["rated"],
            "csat_mean": None if row["csat_mean"] is None else round(float(row["csat_mean"]), 3),
        }
        for row in rows
    ]


def period_parse(raw_from: str | None, raw_to: str | None, *, today: date | None = None) -> Period:
    """``from``/``to`` as YYYY-MM-DD (both inclusive); the last 30 days by default."""
    from gigcx.exceptions import ApplicationError

    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    parsed: dict[str, date | None] = {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if not raw:
            parsed[name] = None
            continue
        try:
            parsed[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = ["Use a date like 2026-11-30."]
    if errors:
        raise ApplicationError("The date range is not valid; see the fields.", fields=errors)
    end = parsed["to"] or today
    start = parsed["from"] or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise ApplicationError(
            "The range starts after it ends.", fields={"from": ["On or before 'to'."]}
        )
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ApplicationError(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.",
            fields={"to": [f"At most {MAX_RANGE_DAYS} days after 'from'."]},
        )
    return Period(start, end)
