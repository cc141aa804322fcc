"""The metrics' daily rollup: rebuild a brand's ``ServiceDay`` and ``ExpertDay`` rows from
live aggregates (nightly for the last days, every few minutes for today)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from marketplace.models import Brand
from quality.metrics import COUNTS, EXPERT_COUNTS, Period, live_by_expert, live_by_product
from quality.models import ExpertDay, ServiceDay
from quality.services.reviews import quality_settings_for
from routing.models import Question


def metrics_rollup_day(*, brand: Brand, day: date, now: datetime | None = None) -> int:
    """Rebuild the brand's rollup rows of one day from live aggregates. Idempotent."""
    now = now or timezone.now()
    period = Period(day, day)
    service = live_by_product(brand, period, now)
    experts = live_by_expert(brand, period)
    with transaction.atomic():
        ServiceDay.objects.filter(brand=brand, day=day).delete()
        ExpertDay.objects.filter(brand=brand, day=day).delete()
        ServiceDay.objects.bulk_create(
            ServiceDay(
                brand=brand,
                day=day,
                product_id=row["product_id"],
                **{key: row[key] or 0 for key in COUNTS},
            )
            for row in service
        )
        ExpertDay.objects.bulk_create(
            ExpertDay(
                brand=brand,
                day=day,
                expert_id=row["expert_id"],
                **{key: row[key] or 0 for key in EXPERT_COUNTS},
            )
            for row in experts
        )
    return len(service) + len(experts)


# Late ratings and reopens still change a day's figures for this long; older days stay as
# they were rolled up.
ROLLUP_REBUILD_DAYS = 14


def metrics_rollup(
    *, brand: Brand, through: date | None = None, rebuild_days: int = ROLLUP_REBUILD_DAYS
) -> int:
    """Roll up every day not yet covered (from the brand's first question) and rebuild the
    last ``rebuild_days``, through ``through`` (yesterday by default; today for the frequent
    refresh, whose figures then serve today for TODAY_FRESH). Returns the days rolled."""
    now = timezone.now()
    through = through or timezone.localdate() - timedelta(days=1)
    settings = quality_settings_for(brand.pk)
    first = (
        Question.objects.filter(brand=brand)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if first is None:
        return 0
    start = timezone.localtime(first).date()
    if settings.metrics_rolled_through is not None:
        start = max(
            start,
            min(
                settings.metrics_rolled_through + timedelta(days=1),
                through - timedelta(days=rebuild_days - 1),
            ),
        )
    day, done = start, 0
    while day <= through:
        metrics_rollup_day(brand=brand, day=day, now=now)
        day += timedelta(days=1)
        done += 1
    type(settings).objects.filter(pk=settings.pk).update(
        metrics_rolled_through=through, metrics_rolled_at=now
    )
    return done
