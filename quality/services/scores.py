"""Expert quality scores: recomputed on each rating and nightly, kept as history, written
down onto ``Expert.quality_score`` and ``Expert.tier``; a run of low ratings puts the expert
on probation for staff to decide."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError, ConflictError
from gigcx.models import AuditEvent
from marketplace.models import Expert
from marketplace.services import expert_enrol, expert_suspend, expert_tier_set
from quality import scoring
from quality.models import ExpertScore, Rating, Review
from quality.sentiment import lift_steps
from quality.services.badges import badges_award, badges_award_top_rated_month
from routing.models import Assignment, Message

# Figures older than this no longer describe how the expert works today.
WINDOW_DAYS = 180
HANDLED = (Assignment.Status.RESOLVED, Assignment.Status.ESCALATED, Assignment.Status.RELEASED)
ANSWERED = (
    *HANDLED,
    Assignment.Status.ACCEPTED,
    Assignment.Status.DECLINED,
    Assignment.Status.EXPIRED,
)
TOOK = (*HANDLED, Assignment.Status.ACCEPTED)


def _qa_average(*, expert: Expert, since: datetime) -> float | None:
    """Mean QA review score (0..1), or None without reviews."""
    row = Review.objects.filter(
        expert=expert, status=Review.Status.DONE, reviewed_at__gte=since
    ).aggregate(mean=Avg("average"))
    return scoring.stars_to_unit(row["mean"])


def _first_reply_seconds(*, expert: Expert, since: datetime) -> float | None:
    """Median seconds from accepting to her first message, over her last 100 conversations."""
    first_message = (
        Message.objects.filter(
            question_id=OuterRef("question_id"),
            role=Message.Role.EXPERT,
            author_id=expert.user_id,
            created_at__gte=OuterRef("responded_at"),
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    pairs = (
        Assignment.objects.filter(
            expert=expert, status__in=TOOK, responded_at__isnull=False, offered_at__gte=since
        )
        .annotate(first=Subquery(first_message))
        .filter(first__isnull=False)
        .order_by("-offered_at")
        .values_list("responded_at", "first")[:100]
    )
    gaps = [(first - responded).total_seconds() for responded, first in pairs]
    return statistics.median(gaps) if gaps else None


def _lift_figures(*, expert: Expert, since: datetime) -> dict[str, Any]:
    """Sentiment lift over her conversations (quality.sentiment), and over those that started
    upset (empathy fit): one aggregate query."""
    from routing import text

    upset_at = text.frustration_threshold()
    first, second = lift_steps("question_id")
    row = (
        Assignment.objects.filter(expert=expert, status__in=HANDLED, offered_at__gte=since)
        .annotate(**first)
        .annotate(**second)
        .filter(lift__isnull=False)
        .aggregate(
            lift_count=Count("pk"),
            lift_mean=Avg("lift"),
            upset_count=Count("pk", filter=Q(start_mood__gte=upset_at)),
            upset_mean=Avg("lift", filter=Q(start_mood__gte=upset_at)),
        )
    )
    return {
        "sentiment_lift": row["lift_mean"],
        "lift_count": row["lift_count"],
        "empathy_fit": scoring.lift_value(row["upset_mean"], row["upset_count"]),
        "upset_count": row["upset_count"],
    }


def expert_score_parts(*, expert: Expert, now: datetime | None = None) -> dict[str, Any]:
    """Every figure the score is made of, from aggregates over the last WINDOW_DAYS."""
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    mine = Rating.objects.filter(expert=expert, created_at__gte=since).aggregate(
        count=Count("pk"), mean=Avg("score")
    )
    brand_mean = Rating.objects.filter(brand_id=expert.brand_id, created_at__gte=since).aggregate(
        mean=Avg("score")
    )["mean"]
    reopened = Rating.objects.filter(question_id=OuterRef("question_id"), reopened_at__isnull=False)
    handled = (
        Assignment.objects.filter(expert=expert, status__in=HANDLED, offered_at__gte=since)
        .annotate(reopened=Exists(reopened))
        .aggregate(
            handled=Count("pk"),
            clean=Count("pk", filter=Q(status=Assignment.Status.RESOLVED, reopened=False)),
        )
    )
    offers = Assignment.objects.filter(
        expert=expert, status__in=ANSWERED, offered_at__gte=since
    ).aggregate(answered=Count("pk"), took=Count("pk", filter=Q(status__in=TOOK)))
    csat_bayes = scoring.bayesian_csat(mine["mean"], mine["count"], brand_mean=brand_mean)
    first_reply = _first_reply_seconds(expert=expert, since=since)
    qa = _qa_average(expert=expert, since=since)
    return {
        "ratings_count": mine["count"],
        "csat_mean": mine["mean"],
        "csat_bayes": csat_bayes,
        "brand_mean": brand_mean,
        "handled_count": handled["handled"],
        "resolution_rate": scoring.shrunk_rate(
            handled["clean"],
            handled["handled"],
            prior=scoring.RESOLUTION_PRIOR,
            weight=scoring.RESOLUTION_PRIOR_WEIGHT,
        ),
        "qa_average": qa,
        "acceptance_rate": scoring.plain_rate(offers["took"], offers["answered"]),
        "first_reply_seconds": first_reply,
        **_lift_figures(expert=expert, since=since),
    }


def expert_score_recompute(*, expert_id: int, trigger: str = ExpertScore.Trigger.MANUAL) -> Any:
    """Recompute, store a snapshot, write the score and tier down onto the expert, and put
    her on probation after a run of low ratings. Returns the snapshot (None if she is gone).

    Plain atomic: it runs inside the outbox subscriber's transaction too.
    """
    with transaction.atomic():
        expert = Expert.objects.select_for_update().filter(pk=expert_id).first()
        if expert is None:
            return None
        figures = expert_score_parts(expert=expert)
        score, breakdown = scoring.composite(
            {
                "csat": scoring.stars_to_unit(figures["csat_bayes"]),
                "resolution": figures["resolution_rate"],
                "qa": figures["qa_average"],
                "lift": scoring.lift_value(figures["sentiment_lift"], figures["lift_count"]),
                "acceptance": figures["acceptance_rate"],
                "first_reply": scoring.first_reply_value(figures["first_reply_seconds"]),
            }
        )
        breakdown["empathy"] = {
            "value": None if figures["empathy_fit"] is None else round(figures["empathy_fit"], 4),
            "weight": 0.0,
            "points": 0.0,
        }
        tier = scoring.tier_for(score, figures["ratings_count"], current=expert.tier)
        snapshot = ExpertScore.objects.create(
            expert=expert,
            brand_id=expert.brand_id,
            trigger=trigger,
            score=None if score is None else Decimal(str(score)),
            tier=tier,
            parts=breakdown,
            **figures,
        )
        empathy = figures["empathy_fit"]
        Expert.objects.filter(pk=expert.pk).update(
            quality_score=snapshot.score,
            empathy_fit=None if empathy is None else Decimal(f"{empathy:.3f}"),
        )
        if tier != expert.tier:
            expert_tier_set(expert=expert, tier=tier, actor=None)
        _probation_if_low_run(expert)
        badges_award(expert=expert, snapshot=snapshot)
    return snapshot


def _probation_if_low_run(expert: Expert) -> None:
    if expert.status != Expert.Status.APPROVED:
        return
    # Only ratings since staff last approved her count: a decision starts a clean slate.
    decided = (
        AuditEvent.objects.filter(
            action="expert.approved", target_type="marketplace.expert", target_id=str(expert.pk)
        )
        .values_list("created_at", flat=True)
        .first()
    )
    recent = Rating.objects.filter(expert=expert)
    if decided is not None:
        recent = recent.filter(created_at__gt=decided)
    rows = list(recent.order_by("-created_at", "-pk").values_list("score", "question_id")[:5])
    if not scoring.is_low_run([score for score, _ in rows]):
        return
    low = [f"#{question_id}" for score, question_id in rows if score <= scoring.LOW_RATING]
    reason = (
        f"{len(low)} of the last {len(rows)} ratings were {scoring.LOW_RATING} stars or fewer "
        f"(questions {', '.join(low)}). Staff decide: lift the probation or suspend."
    )
    expert_enrol(
        brand=expert.brand,
        user=expert.user,
        status=Expert.Status.PROBATION,
        actor=None,
        reason=reason,
    )


def expert_probation_decide(*, expert: Expert, decision: str, reason: str, actor: Any) -> Expert:
    """Staff decide on an expert on probation: ``lift`` (approved again) or ``suspend``."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if decision not in ("lift", "suspend"):
        errors["decision"] = [gettext("Choose to lift the probation or to suspend.")]
    if not reason:
        errors["reason"] = [
            gettext("Give a reason; the expert sees it and it goes to the audit log.")
        ]
    if errors:
        raise ApplicationError(
            gettext("The decision could not be recorded; see the fields."), fields=errors
        )
    if expert.status != Expert.Status.PROBATION:
        raise ConflictError(
            gettext("This expert is not on probation; they are %(status)s.")
            % {"status": expert.get_status_display().lower()}
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=f"quality.probation_{decision}",
            target=expert,
            brand_id=expert.brand_id,
            reason=reason,
        )
        if decision == "suspend":
            return expert_suspend(expert=expert, actor=actor, reason=reason)
        return expert_enrol(
            brand=expert.brand,
            user=expert.user,
            status=Expert.Status.APPROVED,
            actor=actor,
            reason=reason,
        )


def expert_scores_recompute_all(*, trigger: str = ExpertScore.Trigger.NIGHTLY) -> int:
    """Recompute every expert in a pool (nightly): one short transaction each."""
    done = 0
    ids = Expert.objects.approved().order_by("pk").values_list("pk", flat=True)
    for expert_id in ids.iterator(chunk_size=500):
        done += expert_score_recompute(expert_id=expert_id, trigger=trigger) is not None
    brand_ids = Expert.objects.approved().order_by().values_list("brand_id", flat=True).distinct()
    for brand_id in sorted(set(brand_ids)):
        badges_award_top_rated_month(brand_id=brand_id)
    return done
