"""The brand's service figures for a date range, from SQL aggregates.

The figures are additive counts (sums, never means) computed in SQL: live, as aggregates over
the brand's questions asked in the range (annotated with correlated subqueries for the first
human reply and the rating) grouped by day and product, and by expert; and from a daily
rollup (``ServiceDay``, ``ExpertDay``) for the days it covers, which the nightly beat task
rebuilds (quality.services.rollup). Python only adds up grouped rows (days times
products); nothing loops over question rows.

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
- *copilot drafts*: drafts offered to experts in the range, used (the reply sent came from
  the draft) and used unedited (``routing.selectors.copilot_usage``).
- *customers*, *returning customers* and the customers who ask most: quality.relationships.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from marketplace.models import Brand, Expert, Product
from quality.models import Rating
from quality.relationships import TOP_CUSTOMERS, returning_customers, top_customers
from routing.models import Assignment, Message, Question

MAX_RANGE_DAYS = 366
# The page and the API list the busiest experts; the CSV lists them all.
EXPERT_LIMIT = 100
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


# Additive counts (sums, never means), so live figures and the daily rollup add up.
COUNTS = (
    "questions",
    "automated",
    "human",
    "first_reply_n",
    "first_reply_sum",
    "sla_decided",
    "sla_hit",
    "rated",
    "rating_sum",
    "rating_good",
    "rated_automated",
    "rating_automated_sum",
    "rated_human",
    "rating_human_sum",
    "resolved",
    "reopened",
)
EXPERT_COUNTS = (
    "handled",
    "resolved",
    "escalated",
    "reply_n",
    "reply_sum",
    "rated",
    "rating_sum",
    "rating_good",
    "reopened",
)


def _aggregates(now: datetime) -> dict[str, Any]:
    human = Q(waiting_since__isnull=False)
    replied = human & Q(first_human_at__isnull=False)
    hit = replied & Q(first_human_at__lte=F("sla_due_at"))
    decided = (
        human
        & Q(sla_due_at__isnull=False)
        & (Q(first_human_at__isnull=False) | Q(sla_due_at__lt=now))
    )
    rated = Q(rating_score__isnull=False)
    resolved = Q(status=Question.Status.RESOLVED) | rated
    automated_rating = rated & Q(rating_automated=True)
    human_rating = rated & Q(rating_automated=False)
    return {
        "questions": Count("pk"),
        "automated": Count("pk", filter=Q(waiting_since__isnull=True, had_ai=True)),
        "human": Count("pk", filter=human),
        "first_reply_n": Count("pk", filter=replied),
        "first_reply_sum": Sum("human_wait", filter=replied),
        "sla_decided": Count("pk", filter=decided),
        "sla_hit": Count("pk", filter=hit),
        "rated": Count("pk", filter=rated),
        "rating_sum": Sum("rating_score"),
        "rating_good": Count("pk", filter=Q(rating_score__gte=4)),
        "rated_automated": Count("pk", filter=automated_rating),
        "rating_automated_sum": Sum("rating_score", filter=automated_rating),
        "rated_human": Count("pk", filter=human_rating),
        "rating_human_sum": Sum("rating_score", filter=human_rating),
        "resolved": Count("pk", filter=resolved),
        "reopened": Count("pk", filter=Q(was_reopened=True)),
    }


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else round(part / whole, 4)


def _mean(total: float, count: int, digits: int = 3) -> float | None:
    return None if not count else round(total / count, digits)


def _zero(keys: tuple[str, ...]) -> dict[str, float]:
    return dict.fromkeys(keys, 0)


def _add(into: dict[str, float], row: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        into[key] += row.get(key) or 0


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "questions": row["questions"],
        "automated_share": _ratio(row["automated"], row["questions"]),
        "human_share": _ratio(row["human"], row["questions"]),
        "first_human_reply_seconds": _mean(row["first_reply_sum"], row["first_reply_n"], 1),
        "sla_hit_rate": _ratio(row["sla_hit"], row["sla_decided"]),
        "ratings": row["rated"],
        "csat_mean": _mean(row["rating_sum"], row["rated"]),
        "csat_share": _ratio(row["rating_good"], row["rated"]),
        "csat_automated": _mean(row["rating_automated_sum"], row["rated_automated"]),
        "csat_human": _mean(row["rating_human_sum"], row["rated_human"]),
        "resolved": row["resolved"],
        "reopen_rate": _ratio(row["reopened"], row["resolved"]),
    }


def _expert_figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "handled": row["handled"],
        "resolved": row["resolved"],
        "escalated": row["escalated"],
        "first_reply_seconds": _mean(row["reply_sum"], row["reply_n"], 1),
        "ratings": row["rated"],
        "csat_mean": _mean(row["rating_sum"], row["rated"]),
        "csat_share": _ratio(row["rating_good"], row["rated"]),
        "reopen_rate": _ratio(row["reopened"], row["resolved"]),
    }


def live_by_product(brand: Brand, period: Period, now: datetime) -> list[dict[str, Any]]:
    return list(
        _annotated(brand, period)
        .order_by()
        .values("product_id")
        .annotate(**_aggregates(now))
        .order_by()
    )


def _live_by_day(brand: Brand, period: Period, now: datetime) -> list[dict[str, Any]]:
    return list(
        _annotated(brand, period)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day", "product_id")
        .annotate(**_aggregates(now))
        .order_by()
    )


def live_by_expert(brand: Brand, period: Period, *, by_day: bool = False) -> list[dict[str, Any]]:
    """Per expert who handled the period's questions: conversations, resolutions, escalations,
    first reply after accepting, CSAT and reopens of the questions she resolved."""
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
            rating_score=Subquery(rating.values("score")[:1]),
            was_reopened=Exists(rating.filter(reopened_at__isnull=False)),
            reply=Subquery(
                first_reply.annotate(
                    wait=SecondsBetween(F("created_at"), OuterRef("responded_at"))
                ).values("wait")[:1]
            ),
        )
        .order_by()
    )
    keys = ["expert_id"]
    if by_day:
        rows = rows.annotate(day=TruncDate("question__created_at"))
        keys.append("day")
    return list(
        rows.values(*keys)
        .annotate(
            handled=Count("pk"),
            resolved=Count("pk", filter=Q(status=Assignment.Status.RESOLVED)),
            escalated=Count("pk", filter=Q(status=Assignment.Status.ESCALATED)),
            reply_n=Count("pk", filter=Q(reply__isnull=False)),
            reply_sum=Sum("reply"),
            rated=Count("pk", filter=Q(rating_score__isnull=False)),
            rating_sum=Sum("rating_score"),
            rating_good=Count("pk", filter=Q(rating_score__gte=4)),
            reopened=Count("pk", filter=Q(was_reopened=True, status=Assignment.Status.RESOLVED)),
        )
        .order_by()
    )


# A rollup of today older than this is ignored and today is computed live (the task that
# refreshes it has stopped).
TODAY_FRESH = timedelta(minutes=15)


def _split(brand: Brand, period: Period, now: datetime) -> tuple[Period | None, Period | None]:
    """The part of the period the daily rollup covers, and the part computed live."""
    from quality.models import QualitySettings

    row = (
        QualitySettings.objects.filter(brand=brand)
        .values_list("metrics_rolled_through", "metrics_rolled_at")
        .first()
    )
    through, rolled_at = row if row else (None, None)
    today = timezone.localtime(now).date()
    if (
        through is not None
        and through >= today
        and (rolled_at is None or now - rolled_at > TODAY_FRESH)
    ):
        through = today - timedelta(days=1)  # a stale rollup of today: today goes live
    if through is None or through < period.start:
        return None, period
    rolled = Period(period.start, min(period.end, through))
    live = Period(through + timedelta(days=1), period.end) if through < period.end else None
    return rolled, live


def brand_metrics_overall(
    *, brand: Brand, period: Period, now: datetime | None = None
) -> dict[str, Any]:
    """Only the overall figures: the dashboard's summary."""
    return brand_metrics(brand=brand, period=period, now=now, parts=("overall",))["overall"]


def brand_metrics(
    *,
    brand: Brand,
    period: Period,
    now: datetime | None = None,
    parts: tuple[str, ...] = ("overall", "by_product", "by_expert", "daily", "copilot"),
    expert_limit: int | None = EXPERT_LIMIT,
    customer_limit: int | None = TOP_CUSTOMERS,
) -> dict[str, Any]:
    """Overall figures, by product, by expert (the ``expert_limit`` busiest; None for all)
    and by day, for questions asked in the period: the daily rollup for the days it covers,
    live aggregates for the rest. With ``customers`` in ``parts``: returning customers and the
    ``customer_limit`` customers who asked most (None for all), always live, so they cost a
    scan of the range's questions (on request only; see quality.relationships)."""
    from quality.models import ExpertDay, ServiceDay

    now = now or timezone.now()
    rolled, live = _split(brand, period, now)
    products: dict[int | None, dict[str, float]] = {}
    days: dict[date, dict[str, float]] = {}
    rows: list[dict[str, Any]] = []
    if rolled is not None:
        rows += list(
            ServiceDay.objects.filter(brand=brand, day__gte=rolled.start, day__lte=rolled.end)
            .values("day", "product_id")
            .annotate(**{key: Sum(key) for key in COUNTS})
            .order_by()
        )
    if live is not None:
        rows += _live_by_day(brand, live, now)
    for row in rows:
        _add(products.setdefault(row["product_id"], _zero(COUNTS)), row, COUNTS)
        _add(days.setdefault(row["day"], _zero(COUNTS)), row, COUNTS)
    overall = _zero(COUNTS)
    for counts in products.values():
        _add(overall, counts, COUNTS)
    result: dict[str, Any] = {
        "brand": brand.slug,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "overall": _figures(overall),
    }
    if "copilot" in parts:
        from routing.selectors import copilot_usage

        low, high = period.bounds
        result["copilot"] = copilot_usage(brand_id=brand.pk, low=low, high=high)
    if "customers" in parts:
        low, high = period.bounds
        result["customers"] = returning_customers(brand=brand, low=low, high=high)
        result["top_customers"] = top_customers(
            brand=brand, low=low, high=high, limit=customer_limit
        )
    if "by_product" in parts:
        names = dict(
            Product.objects.filter(pk__in=[pk for pk in products if pk]).values_list("pk", "name")
        )
        result["by_product"] = sorted(
            (
                {"product_id": pk, "product": names.get(pk), **_figures(counts)}
                for pk, counts in products.items()
            ),
            key=lambda row: (row["product"] is None, row["product"] or ""),
        )
    if "daily" in parts:
        result["daily"] = [
            {
                "day": day.isoformat(),
                "questions": counts["questions"],
                "automated": counts["automated"],
                "human": counts["human"],
                "ratings": counts["rated"],
                "csat_mean": _mean(counts["rating_sum"], counts["rated"]),
            }
            for day, counts in sorted(days.items())
        ]
    if "by_expert" in parts:
        experts: dict[int, dict[str, float]] = {}
        expert_rows: list[dict[str, Any]] = []
        if rolled is not None:
            rollup = (
                ExpertDay.objects.filter(brand=brand, day__gte=rolled.start, day__lte=rolled.end)
                .values("expert_id")
                .annotate(**{key: Sum(key) for key in EXPERT_COUNTS})
                .order_by("-handled", "expert_id")
            )
            expert_rows += list(rollup if expert_limit is None else rollup[:expert_limit])
        if live is not None:
            expert_rows += live_by_expert(brand, live)
        for row in expert_rows:
            _add(experts.setdefault(row["expert_id"], _zero(EXPERT_COUNTS)), row, EXPERT_COUNTS)
        if expert_limit is not None and len(experts) > expert_limit:
            busiest = sorted(experts, key=lambda pk: (-experts[pk]["handled"], pk))
            experts = {pk: experts[pk] for pk in busiest[:expert_limit]}
        names = {
            pk: profile_name or name or email.split("@")[0]
            for pk, profile_name, name, email in Expert.objects.filter(
                pk__in=list(experts)
            ).values_list("pk", "user__expert_profile__display_name", "user__name", "user__email")
        }
        result["by_expert"] = sorted(
            (
                {"expert_id": pk, "expert": names.get(pk, ""), **_expert_figures(counts)}
                for pk, counts in experts.items()
            ),
            key=lambda row: (-row["handled"], row["expert_id"]),
        )
    return result


def period_parse(raw_from: str | None, raw_to: str | None, *, today: date | None = None) -> Period:
    """``from``/``to`` as YYYY-MM-DD (both inclusive); the last 30 days by default."""
    from django.utils.translation import gettext

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
            errors[name] = [gettext("Use a date like 2026-11-30.")]
    if errors:
        raise ApplicationError(
            gettext("The date range is not valid; see the fields."), fields=errors
        )
    end = parsed["to"] or today
    start = parsed["from"] or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise ApplicationError(
            gettext("The range starts after it ends."),
            fields={"from": [gettext("On or before the end date.")]},
        )
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ApplicationError(
            gettext("Ask for at most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS},
            fields={
                "to": [
                    gettext("At most %(days)s days after the start date.")
                    % {"days": MAX_RANGE_DAYS}
                ]
            },
        )
    return Period(start, end)


FULL = ("overall", "by_product", "by_expert", "daily", "copilot", "customers")
