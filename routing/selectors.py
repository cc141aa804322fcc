"""Reads for routing: candidates for a question, consoles and queues."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils import dateformat, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext

from gigcx.tenancy import Viewer
from marketplace.availability import user_windows, window_end_at, window_next_start
from marketplace.models import Brand, Expert, ExpertSkill
from marketplace.models.core import QUALITY_ORDER, SKILL_STRENGTH
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


# An expert whose decayed recency is below this many resolutions earns under 0.04 of the
# activity weight's points: the recent walk stops there instead of reading the idle majority.
RECENT_FLOOR = 0.01


def recency_key(recency: float, recency_seq: int) -> float | None:
    """``Expert.recency_key`` for a stored recency (None without any): log2 of the recency
    plus its brand clock in half-lives, so 2 ** (key - brand_seq / half-life) is the decayed
    recency and the key orders experts by it at any brand clock."""
    if recency <= 0:
        return None
    return math.log2(recency) + recency_seq / scoring.RECENCY_HALF_LIFE_QUESTIONS


def _eligible_experts(
    *, question: Question, settings: RoutingSettings, now: datetime, second_round: bool
) -> QuerySet[Expert]:
    """Every rule of the candidate set, in SQL, checked row by row on an ordered walk:
    approved in the brand's pool, online with a fresh heartbeat and a free slot, inside her
    availability window unless online by hand, speaks the
    language, under the fairness cap, has not passed on this question, is not the asker."""
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
    # Offers this hour, counted for the rows the walk reaches (index on expert, offered_at).
    offers_this_hour = (
        Assignment.objects.filter(
            expert_id=OuterRef("pk"), offered_at__gte=now - timedelta(hours=1)
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    experts = (
        Expert.objects.approved()
        .filter(
            brand_id=question.brand_id,
            user__presence__status=Presence.Status.ONLINE,
            user__presence__last_heartbeat_at__gt=now - HEARTBEAT_FRESH,
            user__presence__active__lt=F("user__presence__capacity"),
        )
        # Inside her window, or online by hand (null): exact at the window's edge, before the
        # sweep sets her away, and read from the presence row the walk already joins.
        .filter(
            Q(user__presence__window_ends_at__isnull=True)
            | Q(user__presence__window_ends_at__gt=now)
        )
        .exclude(pk__in=passed)
        .annotate(offers_this_hour=Subquery(offers_this_hour))
        .filter(offers_this_hour__lt=settings.fairness_cap_per_hour)
        .select_related("user__presence", "user__expert_profile")
    )
    if question.asked_by_id is not None:
        experts = experts.exclude(user_id=question.asked_by_id)
    if question.language:
        # No profile or no languages set: speaks anything (as before). The JSON list's text
        # holds the code in quotes on PostgreSQL and SQLite alike.
        experts = experts.filter(
            Q(user__expert_profile__isnull=True)
            | Q(user__expert_profile__languages=[])
            | Q(user__expert_profile__languages__icontains=f'"{question.language}"')
        )
    return experts


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

    Not every eligible expert: two indexed walks, each stopping after
    ``GIGCX_ROUTING_CANDIDATES`` eligible rows, find the most recently active (activity
    outweighs everything else in the score) and the strongest on the product (or, from step
    3, the best rated); the customer's preferred and previous experts are added. Only those
    are fetched and scored, so the cost does not grow with the pool. A pool smaller than the
    limit is fetched whole, exactly as a full scan would.
    """
    now = now or timezone.now()
    limit = django_settings.GIGCX_ROUTING_CANDIDATES
    brand_seq = Brand.objects.filter(pk=question.brand_id).values_list("question_seq", flat=True)[0]
    base = _eligible_experts(
        question=question, settings=settings, now=now, second_round=second_round
    )
    eligible = base

    product = question.product
    skill_filter: Q | None = None
    category_ids: list[int] = []
    if product is not None and step <= 2:
        skill_filter = Q(product=product)
        if step == 2:
            if product.category_id:
                category_ids.append(product.category_id)
            if product.category_id and product.category and product.category.parent_id:
                category_ids.append(product.category.parent_id)
            skill_filter |= Q(product__category_id__in=category_ids)
        eligible = eligible.filter(
            Exists(ExpertSkill.objects.filter(skill_filter, expert_id=OuterRef("pk")))
        )

    previous_experts: set[int] = set()
    if question.asked_by_id is not None:
        previous_experts = set(
            Assignment.objects.filter(
                question__asked_by_id=question.asked_by_id,
                question__brand_id=question.brand_id,
                status=Assignment.Status.RESOLVED,
            ).values_list("expert_id", flat=True)
        )

    # Each walk reads one table in its index's order and checks eligibility per row with a
    # scalar subquery (which PostgreSQL cannot turn into a join it would plan as a full scan
    # and a sort), stopping after ``limit`` eligible rows.
    def passes(field: str, queryset: QuerySet[Expert]) -> Subquery:
        return Subquery(queryset.filter(pk=OuterRef(field)).order_by().values("pk")[:1])

    floor = brand_seq / scoring.RECENCY_HALF_LIFE_QUESTIONS + math.log2(RECENT_FLOOR)
    # Only rows marked on duty (an online presence, Expert.on_duty): the walks' partial
    # indexes skip the offline majority, so they read about as many rows at 100k as at 1k.
    pool = Expert.objects.approved().filter(brand_id=question.brand_id, on_duty=True)
    ids: set[int] = set(
        pool.filter(recency_key__gt=floor)
        .annotate(ok=passes("pk", eligible))
        .filter(ok__isnull=False)
        .order_by(F("recency_key").desc(), "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if product is not None and skill_filter is not None:
        # The skill index strongest first (marketplace SKILL_STRENGTH): the product's at
        # step 1; at step 2 the category's and its parent's (ExpertSkill.category), which
        # hold the product's too. An expert's first row in a walk is her strongest there.
        walks = [Q(category_id=c) for c in category_ids] if category_ids else [Q(product=product)]
        strongest: dict[int, int] = {}
        for where in walks:
            skills = (
                ExpertSkill.objects.filter(where, on_duty=True)
                .annotate(strength=SKILL_STRENGTH, ok=passes("expert_id", base))
                .filter(ok__isnull=False)
                .order_by(F("strength").desc(), "expert_id")
                .values_list("expert_id", "strength")
            )
            # A product's walk has one row per expert; a category's may have several.
            page = limit * 2 if category_ids else limit
            for expert_id, strength in _distinct_experts(skills, limit, page):
                strongest[expert_id] = max(strength, strongest.get(expert_id, 0))
        ids |= {e for e, _ in sorted(strongest.items(), key=lambda i: (-i[1], i[0]))[:limit]}
    else:
        ids |= set(
            pool.annotate(ok=passes("pk", eligible))
            .filter(ok__isnull=False)
            .order_by(QUALITY_ORDER.desc(), "pk")
            .values_list("pk", flat=True)[:limit]
        )
    ids |= previous_experts
    if question.preferred_expert_id:
        ids.add(question.preferred_expert_id)
    experts = {e.pk: e for e in eligible.filter(pk__in=ids).order_by()} if ids else {}
    chosen = [experts[pk] for pk in sorted(experts)]

    skills: dict[int, ExpertSkill] = {}
    if skill_filter is not None and chosen:
        skill_rows = ExpertSkill.objects.filter(skill_filter, expert_id__in=list(experts))
        for skill in skill_rows.order_by("-verified_level", "-level"):
            skills.setdefault(skill.expert_id, skill)

    histories = _resolved_texts(list(experts)) if question.body and chosen else {}
    candidates: list[Candidate] = []
    for expert in chosen:
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
        # recency_seq is the brand's question count at her latest resolution.
        since_last = brand_seq - expert.recency_seq if expert.recency > 0 else None
        features = scoring.CandidateFeatures(
            expert_id=expert.pk,
            skill=scoring.skill_value(
                skill.level if skill else None,
                skill.verified_level if skill else None,
                step=skill_step,
            ),
            activity=scoring.activity_score(decayed, since_last),
            quality=quality,
            load=(presence.capacity - presence.active) / presence.capacity,
            fairness=scoring.fairness_value(
                idle, expert.offers_this_hour, settings.fairness_cap_per_hour
            ),
            empathy=None if expert.empathy_fit is None else float(expert.empathy_fit),
            # Without resolved texts there is nothing to compare (None), as text_fit_value says.
            text_fit=(
                scoring.text_fit_value(question.body, histories[expert.pk])
                if expert.pk in histories
                else None
            ),
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
                    + ("" if since_last is None else f"; the latest {since_last} questions ago")
                ),
            },
        )
        candidates.append(Candidate(expert, presence, features))
    return candidates


def _distinct_experts(
    skills: QuerySet[ExpertSkill, tuple[int, int]], limit: int, page_size: int
) -> list[tuple[int, int]]:
    """The first ``limit`` distinct experts of a skill walk ordered by (strength desc,
    expert), with their strength there. Read in pages that resume after the last row read
    (an expert has several skills in a category, so a page may hold fewer experts)."""
    found: dict[int, int] = {}
    page = skills
    while True:
        rows = list(page[:page_size])
        for expert_id, strength in rows:
            if len(found) < limit:
                found.setdefault(expert_id, strength)
        if len(found) >= limit or len(rows) < page_size:
            return list(found.items())
        last_expert, last_strength = rows[-1]
        page = skills.filter(
            Q(strength__lt=last_strength) | Q(strength=last_strength, expert_id__gt=last_expert)
        )


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
        f"{date_format(timezone.localtime(q.created_at), 'DATE_FORMAT')} · "
        f"{q.product.name if q.product else gettext('General')} · {q.get_status_display()}"
        for q in questions
    ]
    return HistorySection(
        title=gettext("Questions asked"),
        lines=lines,
        empty=gettext("No questions asked to this brand yet."),
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


def copilot_usage(*, brand_id: int, low: Any, high: Any) -> dict[str, Any]:
    """How the brand's experts used copilot drafts offered in ``[low, high)``: offered, used
    (the sent reply came from the draft) and used unedited, with shares of offered."""
    from django.db.models import Count, Q

    from routing.models import CopilotDraft

    counts = CopilotDraft.objects.filter(
        brand_id=brand_id, created_at__gte=low, created_at__lt=high
    ).aggregate(
        offered=Count("pk"),
        used=Count("pk", filter=Q(used_at__isnull=False)),
        unedited=Count("pk", filter=Q(used_at__isnull=False, edited=False)),
    )
    offered = counts["offered"]
    return {
        "drafts_offered": offered,
        "drafts_used": counts["used"],
        "drafts_used_unedited": counts["unedited"],
        "used_share": round(counts["used"] / offered, 4) if offered else None,
        "unedited_share": round(counts["unedited"] / offered, 4) if offered else None,
    }


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


@dataclass
class WindowState:
    """What the console says about her availability windows right now."""

    zone: str
    windows: list[str]
    open_until: datetime | None  # local end of the window open now
    next_opens: datetime | None  # local start of the next window
    mode: str  # "none" (no windows), "schedule", "hand", or "" when not online

    @property
    def inside(self) -> bool:
        return self.open_until is not None

    # Formatted here on her wall clock: template filters would turn them to the site's zone.
    @property
    def closes(self) -> str:
        return f"{self.open_until:%H:%M}" if self.open_until else ""

    @property
    def next_label(self) -> str:
        # The weekday in the page's language ("Monday 09:00", "Montag 09:00").
        return dateformat.format(self.next_opens, "l H:i") if self.next_opens else ""


def expert_window_state(*, user: Any, presence: Presence | None, now: datetime) -> WindowState:
    """Her windows, whether one is open now, and how she is online (one query)."""
    windows, zone = user_windows(user.pk)
    ends = window_end_at(windows, zone, now)
    opens = window_next_start(windows, zone, now)
    mode = ""
    if not windows:
        mode = "none"
    elif presence is not None and presence.status == Presence.Status.ONLINE:
        mode = "schedule" if presence.window_ends_at is not None else "hand"
    return WindowState(
        zone=str(zone),
        windows=[f"{WEEKDAYS_ABBR[w]} {s:%H:%M}–{e:%H:%M}" for w, s, e in windows],
        open_until=ends.astimezone(zone) if ends else None,
        next_opens=opens.astimezone(zone) if opens else None,
        mode=mode,
    )
