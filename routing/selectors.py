"""Reads for routing: candidates for a question, consoles and queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from gigcx.tenancy import Viewer
from marketplace.models import Brand, Expert, ExpertSkill
from routing import scoring
from routing.models import (
    HEARTBEAT_FRESH,
    Assignment,
    Message,
    Presence,
    Question,
    RoutingSettings,
)


def routing_settings_for(brand_id: int) -> RoutingSettings:
    settings, _ = RoutingSettings.objects.get_or_create(brand_id=brand_id)
    return settings


def allowed_step(question: Question, settings: RoutingSettings, now: datetime) -> int:
    """The widest widening step the question's waiting time allows (1..4; 4 = staff)."""
    if question.waiting_since is None:
        return 1
    waited = (now - question.waiting_since).total_seconds()
    boundary = 0.0
    for step, wait in enumerate(settings.waits, start=1):
        boundary += wait
        if waited < boundary:
            return step
    return 4


@dataclass(frozen=True)
class Candidate:
    expert: Expert
    presence: Presence
    features: scoring.CandidateFeatures


def expert_candidates_for_question(
    *,
    question: Question,
    step: int,
    settings: RoutingSettings,
    now: datetime | None = None,
    second_round: bool = False,
) -> list[Candidate]:
    """Approved experts of the brand who are online with spare capacity, speak the language,
    know the product at this widening step, and have not passed on this question.

    ``second_round``: an expert who only let an offer run out has not passed for good; once
    nobody new is left she may be asked again. One who declined or handed it back never is.
    """
    now = now or timezone.now()
    refused = (
        (Assignment.Status.DECLINED, Assignment.Status.RELEASED)
        if second_round
        else Assignment.PASSED
    )
    passed = (
        Assignment.objects.filter(question=question)
        .filter(Q(status__in=refused) | Q(status=Assignment.Status.OFFERED))
        .values("expert_id")
    )
    hour_ago = now - timedelta(hours=1)
    experts = (
        Expert.objects.approved()
        .filter(
            brand_id=question.brand_id,
            user__presence__status=Presence.Status.ONLINE,
            user__presence__last_heartbeat_at__gt=now - HEARTBEAT_FRESH,
            user__presence__active__lt=F("user__presence__capacity"),
        )
        .exclude(pk__in=passed)
        .select_related("user__presence", "user__expert_profile")
        .annotate(
            offers_this_hour=Count(
                "assignments", filter=Q(assignments__offered_at__gte=hour_ago), distinct=True
            ),
        )
        .order_by("pk")
    )
    if question.asked_by_id is not None:
        experts = experts.exclude(user_id=question.asked_by_id)

    product = question.product
    skills: dict[int, ExpertSkill] = {}
    if product is not None and step <= 2:
        skill_rows = ExpertSkill.objects.filter(expert__brand_id=question.brand_id)
        if step == 1:
            skill_rows = skill_rows.filter(product=product)
        else:
            category_ids = [product.category_id] if product.category_id else []
            if product.category_id and product.category and product.category.parent_id:
                category_ids.append(product.category.parent_id)
            skill_rows = skill_rows.filter(
                Q(product=product) | Q(product__category_id__in=category_ids)
            )
        for skill in skill_rows.order_by("-verified_level", "-level"):
            skills.setdefault(skill.expert_id, skill)
        experts = experts.filter(pk__in=list(skills))

    previous_experts = set()
    if question.asked_by_id is not None:
        previous_experts = set(
            Assignment.objects.filter(
                question__asked_by_id=question.asked_by_id,
                question__brand_id=question.brand_id,
                status=Assignment.Status.RESOLVED,
            ).values_list("expert_id", flat=True)
        )

    histories = _resolved_texts([e.pk for e in experts]) if question.body else {}
    brand_seq = Brand.objects.filter(pk=question.brand_id).values_list("question_seq", flat=True)[0]
    candidates: list[Candidate] = []
    for expert in experts:
        if expert.offers_this_hour >= settings.fairness_cap_per_hour:
            continue
        profile = getattr(expert.user, "expert_profile", None)
        languages = list(profile.languages) if profile else []
        if question.language and languages and question.language not in languages:
            continue
        presence = expert.user.presence
        skill = skills.get(expert.pk)
        on_exact = skill is not None and skill.product_id == question.product_id
        skill_step = 1 if on_exact else step
        idle = (
            None
            if presence.last_assigned_at is None
            else (now - presence.last_assigned_at).total_seconds()
        )
        preferred = 0.0
        if question.preferred_expert_id == expert.pk:
            preferred = 1.0
        elif expert.pk in previous_experts:
            preferred = 0.5
        quality = None if expert.quality_score is None else float(expert.quality_score)
        decayed = scoring.recency_decayed(expert.recency, expert.recency_seq, brand_seq)
        features = scoring.CandidateFeatures(
            expert_id=expert.pk,
            skill=scoring.skill_value(
                skill.level if skill else None,
                skill.verified_level if skill else None,
                step=skill_step,
            ),
            activity=scoring.recency_value(decayed),
            quality=quality,
            load=(presence.capacity - presence.active) / presence.capacity,
            fairness=scoring.fairness_value(
                idle, expert.offers_this_hour, settings.fairness_cap_per_hour
            ),
            empathy=None if expert.empathy_fit is None else float(expert.empathy_fit),
            text_fit=scoring.text_fit_value(question.body, histories.get(expert.pk, [])),
            preferred=preferred,
            notes={
                "skill": (
                    f"{'verified' if skill and skill.verified_level else 'self-rated'} level "
                    f"{(skill.verified_level or skill.level) if skill else 0} on "
                    f"{'this product' if on_exact else 'the category' if skill else 'no product'}"
                ),
                "empathy": (
                    "no conversations with upset customers yet"
                    if expert.empathy_fit is None
                    else "how upset customers' conversations with her ended"
                ),
                "activity": (
                    f"{decayed:.1f} recent resolutions, each halved every "
                    f"{scoring.RECENCY_HALF_LIFE_QUESTIONS} questions the brand receives"
                ),
            },
        )
        candidates.append(Candidate(expert, presence, features))
    return candidates


def _resolved_texts(expert_ids: list[int], per_expert: int = 20) -> dict[int, list[str]]:
    rows = (
        Assignment.objects.filter(expert_id__in=expert_ids, status=Assignment.Status.RESOLVED)
        .order_by("-ended_at")
        .values_list("expert_id", "question__redacted_body", "question__body")[: per_expert * 20]
    )
    texts: dict[int, list[str]] = {}
    for expert_id, redacted, body in rows:
        bucket = texts.setdefault(expert_id, [])
        if len(bucket) < per_expert:
            bucket.append(redacted or body)
    return texts


def expert_offers(*, user_id: int) -> QuerySet[Assignment]:
    return (
        Assignment.objects.live()
        .filter(expert__user_id=user_id)
        .select_related("question", "question__product", "question__brand", "expert")
        .order_by("expires_at")
    )


def expert_active_assignments(*, user_id: int) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(expert__user_id=user_id, status=Assignment.Status.ACCEPTED)
        .select_related("question", "question__product", "question__brand")
        .order_by("offered_at")
    )


def brand_queue(*, brand_id: int) -> QuerySet[Question]:
    return (
        Question.objects.filter(brand_id=brand_id, status__in=Question.OPEN_STATUSES)
        .select_related("product", "asked_by")
        .order_by("-priority", "created_at")
    )


def question_with_role(
    *, viewer: Viewer, question_id: int, token: str = ""
) -> tuple[Question, str] | None:
    """The question and how the viewer takes part in it (customer, staff or expert), or None
    when they may not see it. Anonymous askers prove access with the private-link token."""
    from routing.models import Message

    question = (
        Question.objects.visible_to(viewer)
        .select_related("brand", "product")
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        if not token:
            return None
        question = (
            Question.objects.select_related("brand", "product")
            .filter(pk=question_id, access_token_hash=Question.hash_token(token))
            .exclude(access_token_hash="")
            .first()
        )
        return None if question is None else (question, Message.Role.CUSTOMER)
    if question.asked_by_id is not None and question.asked_by_id == viewer.user_id:
        return question, Message.Role.CUSTOMER
    if question.brand_id in viewer.staff_brand_ids():
        return question, Message.Role.STAFF
    return question, Message.Role.EXPERT


def applicant_questions_section(*, brand: Any, user: Any, viewer: Viewer) -> Any:
    """The applicant's questions to this brand, for the staff review page (a marketplace
    seam: registered in RoutingConfig.ready, so marketplace never imports routing)."""
    from marketplace.selectors import HistorySection

    if not viewer.is_staff_of(brand.pk):
        return None
    questions = list(
        Question.objects.filter(brand=brand, asked_by=user)
        .select_related("product")
        .order_by("-created_at")[:10]
    )
    lines = [
        f"{q.created_at:%d %b %Y} · {q.product.name if q.product else 'General'} · "
        f"{q.get_status_display()}"
        for q in questions
    ]
    return HistorySection(
        title="Questions asked", lines=lines, empty="No questions asked to this brand yet."
    )


def question_sentiment_lift(question: Question) -> float | None:
    """How much calmer the customer ended than she started (frustration at her first message
    minus at her last; positive is better). None until she has written twice."""
    moods = list(
        Message.objects.filter(question=question, role=Message.Role.CUSTOMER)
        .exclude(frustration=None)
        .order_by("created_at", "pk")
        .values_list("frustration", flat=True)
    )
    start = (question.triage or {}).get("frustration")
    if start is None and moods:
        start = moods.pop(0)
    if start is None or not moods:
        return None
    return round(float(start) - float(moods[-1]), 3)


def question_mood_rising(question: Question) -> bool:
    """The customer's newest message reads upset and sharply more frustrated than her one
    before (the rule that pushes ``mood.rising`` to the expert), and nobody has answered it
    yet. The conversation page polls this, so the expert sees the banner without a socket."""
    from routing import text
    from routing.services.questions import SHARP_RISE

    moods = list(
        Message.objects.filter(question=question, role=Message.Role.CUSTOMER)
        .exclude(frustration=None)
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_at", "frustration")[:2]
    )
    if not moods:
        return False
    _, at, mood = moods[0]
    previous = moods[1][2] if len(moods) > 1 else (question.triage or {}).get("frustration")
    if mood < text.frustration_threshold():
        return False
    if previous is not None and mood - float(previous) < SHARP_RISE:
        return False
    answered = Message.objects.filter(
        question=question,
        role__in=[Message.Role.EXPERT, Message.Role.STAFF],
        created_at__gt=at,
    ).exists()
    return not answered
