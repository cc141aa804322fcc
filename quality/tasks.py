"""Quality tasks: thin, idempotent, ids only, named ``quality.*`` (queue ``default``)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from gigcx.locks import exclusive


@shared_task(name="quality.recompute_scores", acks_late=True)
def recompute_scores() -> int:
    """Nightly (beat): recompute every pool expert's score, so figures that age out of the
    window and resolutions without ratings are reflected. One run at a time across machines."""
    from quality.services import expert_scores_recompute_all

    with exclusive("quality.recompute_scores") as held:
        return expert_scores_recompute_all() if held else 0


@shared_task(
    name="quality.recompute_score",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def recompute_score(expert_id: int) -> None:
    """One expert's score now (after a review). Safe twice: it only adds a snapshot."""
    from quality.services import expert_score_recompute

    expert_score_recompute(expert_id=expert_id, trigger="review")


@shared_task(name="quality.rollup_metrics", acks_late=True)
def rollup_metrics() -> int:
    """Nightly (beat): roll up the brands' service figures through yesterday. Idempotent; one
    run at a time across machines."""
    from marketplace.models import Brand
    from quality.services import metrics_rollup

    with exclusive("quality.rollup_metrics") as held:
        if not held:
            return 0
        return sum(metrics_rollup(brand=brand) for brand in Brand.objects.order_by("pk"))


@shared_task(name="quality.rollup_metrics_today", acks_late=True)
def rollup_metrics_today() -> int:
    """Every few minutes (beat): roll up today for the brands asked something today, so the
    metrics read today from the rollup too (a few minutes behind) instead of computing it."""
    from django.utils import timezone

    from marketplace.models import Brand
    from quality.metrics import Period
    from quality.services import metrics_rollup

    with exclusive("quality.rollup_metrics_today") as held:
        if not held:
            return 0
        today = timezone.localdate()
        low, _ = Period(today, today).bounds
        brands = Brand.objects.filter(
            pk__in=Brand.objects.filter(questions__created_at__gte=low).values("pk")
        ).order_by("pk")
        return sum(metrics_rollup(brand=b, through=today, rebuild_days=1) for b in brands)


@shared_task(name="quality.send_rating_reminders", acks_late=True)
def send_rating_reminders() -> int:
    """Hourly (beat): one "how did we do?" reminder a day after the first, if unrated. Safe
    on several beats: each reminder is claimed by a conditional update before it is sent."""
    from quality.services.survey import rating_reminders_send

    return rating_reminders_send()
