"""Reads for routing: candidates for a question, consoles and queues."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


@dataclass(frozen=True)
class _Ask:
    """What a decision's SQL depends on. The walks' SQL is compiled once per shape (which
    of these are set, how many categories) and reused with each decision's values."""

    question_id: int
    brand_id: int
    asked_by_id: int | None
    language: str
    fairness_cap: int
    now: datetime
    fresh_after: datetime  # now - HEARTBEAT_FRESH
    hour_ago: datetime  # now - one hour
    second_round: bool
    product_id: int | None  # set when the walks filter on the product (steps 1 and 2)
    category_ids: tuple[int, ...]  # step 2: the product's category and its parent

    def shape(self) -> tuple[Any, ...]:
        return (
            self.asked_by_id is not None,
            bool(self.language),
            self.second_round,
            self.product_id is not None,
            len(self.category_ids),
        )


def _eligible_experts(ask: _Ask) -> QuerySet[Expert]:
    """Every rule of the candidate set, in SQL, checked row by row on an ordered walk:
    approved in the brand's pool, online with a fresh heartbeat and a free slot, inside her
    availability window unless online by hand, speaks the
    language, under the fairness cap, has not passed on this question, is not the asker."""
    refused = (
        (Assignment.Status.DECLINED, Assignment.Status.RELEASED)
        if ask.second_round
        else Assignment.PASSED
    )
    passed = (
        Assignment.objects.filter(question_id=ask.question_id)
        .filter(Q(status__in=refused) | Q(status=Assignment.Status.OFFERED))
        .values("expert_id")
    )
    # Offers this hour, counted for the rows the walk reaches (index on expert, offered_at).
    offers_this_hour = (
        Assignment.objects.filter(expert_id=OuterRef("pk"), offered_at__gte=ask.hour_ago)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    experts = (
        Expert.objects.approved()
        .filter(
            brand_id=ask.brand_id,
            user__presence__status=Presence.Status.ONLINE,
            user__presence__last_heartbeat_at__gt=ask.fresh_after,
            user__presence__active__lt=F("user__presence__capacity"),
        )
        # Inside her window, or online by hand (null): exact at the window's edge, before the
        # sweep sets her away, and read from the presence row the walk already joins.
        .filter(
            Q(user__presence__window_ends_at__isnull=True)
            | Q(user__presence__window_ends_at__gt=ask.now)
        )
        .exclude(pk__in=passed)
        .annotate(offers_this_hour=Subquery(offers_this_hour))
        .filter(offers_this_hour__lt=ask.fairness_cap)
        .select_related("user__presence")
    )
    if ask.asked_by_id is not None:
        experts = experts.exclude(user_id=ask.asked_by_id)
    if ask.language:
        # No profile or no languages set: speaks anything (as before). The JSON list's text
        # holds the code in quotes on PostgreSQL and SQLite alike.
        experts = experts.filter(
            Q(user__expert_profile__isnull=True)
            | Q(user__expert_profile__languages=[])
            | Q(user__expert_profile__languages__icontains=f'"{ask.language}"')
        )
    return experts


def _skill_filter(ask: _Ask) -> Q:
    """The skills that count at this step: the product's, and at step 2 its category's."""
    where = Q(product_id=ask.product_id)
    if ask.category_ids:
        where |= Q(product__category_id__in=list(ask.category_ids))
    return where


def _eligible_on_skill(ask: _Ask, base: QuerySet[Expert]) -> QuerySet[Expert]:
    """``base`` narrowed to experts with a skill that counts (steps 1 and 2)."""
    if ask.product_id is None:
        return base
    skills = ExpertSkill.objects.filter(_skill_filter(ask), expert_id=OuterRef("pk"))
    return base.filter(Exists(skills))


def _passes(field: str, queryset: QuerySet[Expert]) -> Subquery:
    # Each walk reads one table in its index's order and checks eligibility per row with a
    # scalar subquery (which PostgreSQL cannot turn into a join it would plan as a full scan
    # and a sort), stopping after ``limit`` eligible rows.
    return Subquery(queryset.filter(pk=OuterRef(field)).order_by().values("pk")[:1])


def _recent_walk(ask: _Ask, floor: float, limit: int) -> QuerySet[Expert, int]:
    """The most recently active eligible experts (``Expert.recency_key`` above ``floor``)."""
    eligible = _eligible_on_skill(ask, _eligible_experts(ask))
    return (
        _on_duty_pool(ask)
        .filter(recency_key__gt=floor)
        .annotate(ok=_passes("pk", eligible))
        .filter(ok__isnull=False)
        .order_by(F("recency_key").desc(), "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _quality_walk(ask: _Ask, limit: int) -> QuerySet[Expert, int]:
    """The best rated eligible experts (from step 3, or without a product)."""
    eligible = _eligible_on_skill(ask, _eligible_experts(ask))
    return (
        _on_duty_pool(ask)
        .annotate(ok=_passes("pk", eligible))
        .filter(ok__isnull=False)
        .order_by(QUALITY_ORDER.desc(), "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _skill_walk(
    ask: _Ask, where: int | None, after: tuple[int, int] | None, page_size: int
) -> QuerySet[ExpertSkill, tuple[int, int]]:
    """One page of the skill index strongest first: the product's (``where`` None) or one
    category's, resuming after ``after`` (strength, expert) when set."""
    skills = (
        ExpertSkill.objects.filter(
            Q(product_id=ask.product_id) if where is None else Q(category_id=where),
            on_duty=True,
        )
        .annotate(strength=SKILL_STRENGTH, ok=_passes("expert_id", _eligible_experts(ask)))
        .filter(ok__isnull=False)
    )
    if after is not None:
        last_strength, last_expert = after
        skills = skills.filter(
            Q(strength__lt=last_strength) | Q(strength=last_strength, expert_id__gt=last_expert)
        )
    return skills.order_by(F("strength").desc(), "expert_id").values_list("expert_id", "strength")[
        :page_size
    ]


def _on_duty_pool(ask: _Ask) -> QuerySet[Expert]:
    # Only rows marked on duty (an online presence, Expert.on_duty): the walks' partial
    # indexes skip the offline majority, so they read about as many rows at 100k as at 1k.
    return Expert.objects.approved().filter(brand_id=ask.brand_id, on_duty=True)


# Whether the walks run from SQL compiled once per shape (the tests compare both ways).
WALK_SQL_CACHE = True
_walk_sql: dict[tuple[Any, ...], tuple[str, list[tuple[str, Any]]]] = {}


class _Marks:
    """Stand-in values that cannot occur in real data, one per input of a walk, so the
    compiled SQL's parameters can be traced back to the inputs they came from."""

    def __init__(self) -> None:
        self.ints: dict[int, str] = {}
        self.floats: dict[float, str] = {}
        self.times: dict[Any, str] = {}
        self.texts: dict[str, str] = {}

    def whole(self, name: str) -> int:
        value = -2_100_000_001 - len(self.ints)
        self.ints[value] = name
        return value

    def real(self, name: str) -> float:
        value = -7.7e12 - len(self.floats)
        self.floats[value] = name
        return value

    def time(self, name: str) -> datetime:
        value = datetime(1901, 2, 3, 4, 5, len(self.times), tzinfo=UTC)
        self.times[value] = name
        return value

    def text(self, name: str) -> str:
        value = f"zqmark{len(self.texts)}zq"
        self.texts[value] = name
        return value


def _compiled(key: tuple[Any, ...], build: Any, marks: _Marks) -> tuple[str, list[tuple[str, Any]]]:
    """(sql, how to fill each parameter): ("const", value), ("int" | "float", input name),
    ("time", input name) or ("text", (input name, text before, text after))."""
    from django.db import connection

    found = _walk_sql.get(key)
    if found is not None:
        return found
    sql, params = build().query.sql_with_params()
    ops = connection.ops
    times = {ops.adapt_datetimefield_value(t): name for t, name in marks.times.items()}
    order: list[tuple[str, Any]] = []
    for param in params:
        if isinstance(param, bool) or param is None:
            order.append(("const", param))
        elif isinstance(param, int) and param in marks.ints:
            order.append(("int", marks.ints[param]))
        elif isinstance(param, float) and param in marks.floats:
            order.append(("float", marks.floats[param]))
        elif isinstance(param, (datetime, str)) and param in times:
            order.append(("time", times[param]))
        elif isinstance(param, str) and any(m in param for m in marks.texts):
            mark = next(m for m in marks.texts if m in param)
            before, after = param.split(mark, 1)
            order.append(("text", (marks.texts[mark], before, after)))
        else:
            order.append(("const", param))
    # An input the walk does not use is absent; one written into the SQL text itself would
    # make the SQL wrong for the next decision.
    inlined = [str(m) for m in (*marks.ints, *marks.floats, *marks.texts) if str(m) in sql]
    if inlined or "1901-02-03" in sql:
        raise RuntimeError(f"walk SQL: inputs {inlined} are written into the SQL, not parameters")
    _walk_sql[key] = (sql, order)
    return sql, order


def _run_walk(kind: str, ask: _Ask, extra: dict[str, Any], build: Any) -> list[Any]:
    """Run a walk: ``build(ask, **extra)`` gives its queryset. With ``WALK_SQL_CACHE`` its SQL
    is compiled once per shape (built from stand-in values) and run with this ask's values."""
    from django.db import connection

    if not WALK_SQL_CACHE:
        return list(build(ask, **extra))
    key = (
        connection.alias,
        connection.vendor,
        kind,
        ask.shape(),
        # LIMITs are written into the SQL; the other inputs are parameters (or absent).
        tuple((n, v) for n, v in extra.items() if n in ("limit", "page_size")),
        tuple(n for n, v in extra.items() if v is None),
    )
    if key not in _walk_sql:
        marks = _Marks()
        marked = _Ask(
            question_id=marks.whole("question_id"),
            brand_id=marks.whole("brand_id"),
            asked_by_id=None if ask.asked_by_id is None else marks.whole("asked_by_id"),
            language=marks.text("language") if ask.language else "",
            fairness_cap=marks.whole("fairness_cap"),
            now=marks.time("now"),
            fresh_after=marks.time("fresh_after"),
            hour_ago=marks.time("hour_ago"),
            second_round=ask.second_round,
            product_id=None if ask.product_id is None else marks.whole("product_id"),
            category_ids=tuple(marks.whole(f"category_{i}") for i in range(len(ask.category_ids))),
        )
        marked_extra: dict[str, Any] = {}
        for name, value in extra.items():
            if isinstance(value, float):
                marked_extra[name] = marks.real(name)
            elif isinstance(value, tuple):
                marked_extra[name] = (marks.whole(f"{name}_0"), marks.whole(f"{name}_1"))
            elif name == "where" and value is not None:
                marked_extra[name] = marks.whole(name)
            else:
                marked_extra[name] = value
        _compiled(key, lambda: build(marked, **marked_extra), marks)
    sql, order = _walk_sql[key]
    values = _walk_values(ask, extra)
    params: list[Any] = []
    for kind_, what in order:
        if kind_ == "const":
            params.append(what)
        elif kind_ == "time":
            params.append(connection.ops.adapt_datetimefield_value(values[what]))
        elif kind_ == "text":
            name, before, after = what
            params.append(before + connection.ops.prep_for_like_query(values[name]) + after)
        else:
            params.append(values[what])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [row[0] for row in rows] if len(rows[0] if rows else ()) == 1 else rows


def _walk_values(ask: _Ask, extra: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "question_id": ask.question_id,
        "brand_id": ask.brand_id,
        "asked_by_id": ask.asked_by_id,
        "language": ask.language,
        "fairness_cap": ask.fairness_cap,
        "now": ask.now,
        "fresh_after": ask.fresh_after,
        "hour_ago": ask.hour_ago,
        "product_id": ask.product_id,
    }
    for i, category in enumerate(ask.category_ids):
        values[f"category_{i}"] = category
    for name, value in extra.items():
        if isinstance(value, tuple):
            values[f"{name}_0"], values[f"{name}_1"] = value
        else:
            values[name] = value
    return values


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

    product = question.product
    category_ids: list[int] = []
    on_skill = product is not None and step <= 2
    if product is not None and step == 2:
        if product.category_id:
            category_ids.append(product.category_id)
        if product.category_id and product.category and product.category.parent_id:
            category_ids.append(product.category.parent_id)
    ask = _Ask(
        question_id=question.pk,
        brand_id=question.brand_id,
        asked_by_id=question.asked_by_id,
        language=question.language or "",
        fairness_cap=settings.fairness_cap_per_hour,
        now=now,
        fresh_after=now - HEARTBEAT_FRESH,
        hour_ago=now - timedelta(hours=1),
        second_round=second_round,
        product_id=product.pk if on_skill and product is not None else None,
        category_ids=tuple(category_ids),
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

    floor = brand_seq / scoring.RECENCY_HALF_LIFE_QUESTIONS + math.log2(RECENT_FLOOR)
    ids: set[int] = set(_run_walk("recent", ask, {"floor": floor, "limit": limit}, _recent_walk_of))
    if ask.product_id is not None:
        # The skill index strongest first (marketplace SKILL_STRENGTH): the product's at
        # step 1; at step 2 the category's and its parent's (ExpertSkill.category), which
        # hold the product's too. An expert's first row in a walk is her strongest there.
        walks: list[int | None] = list(category_ids) if category_ids else [None]
        strongest: dict[int, int] = {}
        for where in walks:
            # A product's walk has one row per expert; a category's may have several.
            page = limit * 2 if category_ids else limit
            for expert_id, strength in _distinct_experts(ask, where, limit, page):
                strongest[expert_id] = max(strength, strongest.get(expert_id, 0))
        ids |= {e for e, _ in sorted(strongest.items(), key=lambda i: (-i[1], i[0]))[:limit]}
    else:
        ids |= set(_run_walk("quality", ask, {"limit": limit}, _quality_walk_of))
    ids |= previous_experts
    if question.preferred_expert_id:
        ids.add(question.preferred_expert_id)
    # The eligibility rules built once, for the few experts the walks found.
    eligible = _eligible_on_skill(ask, _eligible_experts(ask))
    experts = {e.pk: e for e in eligible.filter(pk__in=ids).order_by()} if ids else {}
    chosen = [experts[pk] for pk in sorted(experts)]

    # Her best skill that counts here: (product, level, verified level).
    skills: dict[int, tuple[int, int, int | None]] = {}
    if ask.product_id is not None and chosen:
        skill_rows = (
            ExpertSkill.objects.filter(_skill_filter(ask), expert_id__in=list(experts))
            .order_by("-verified_level", "-level")
            .values_list("expert_id", "product_id", "level", "verified_level")
        )
        for expert_id, product_id, level, verified_level in skill_rows:
            skills.setdefault(expert_id, (product_id, level, verified_level))

    histories = _resolved_texts(list(experts)) if question.body and chosen else {}
    candidates: list[Candidate] = []
    for expert in chosen:
        presence = expert.user.presence
        skill = skills.get(expert.pk)
        skill_level = skill[1] if skill else None
        skill_verified = skill[2] if skill else None
        on_exact = skill is not None and skill[0] == question.product_id
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
            skill=scoring.skill_value(skill_level, skill_verified, step=skill_step),
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
                    f"{'verified' if skill_verified else 'self-rated'} level "
                    f"{(skill_verified or skill_level) if skill else 0} on "
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


def _recent_walk_of(ask: _Ask, *, floor: float, limit: int) -> QuerySet[Expert, int]:
    return _recent_walk(ask, floor, limit)


def _quality_walk_of(ask: _Ask, *, limit: int) -> QuerySet[Expert, int]:
    return _quality_walk(ask, limit)


def _skill_walk_of(
    ask: _Ask, *, where: int | None, after: tuple[int, int] | None, page_size: int
) -> QuerySet[ExpertSkill, tuple[int, int]]:
    return _skill_walk(ask, where, after, page_size)


def _distinct_experts(
    ask: _Ask, where: int | None, limit: int, page_size: int
) -> list[tuple[int, int]]:
    """The first ``limit`` distinct experts of a skill walk ordered by (strength desc,
    expert), with their strength there. Read in pages that resume after the last row read
    (an expert has several skills in a category, so a page may hold fewer experts)."""
    found: dict[int, int] = {}
    after: tuple[int, int] | None = None
    while True:
        extra = {"where": where, "after": after, "page_size": page_size}
        rows = _run_walk("skill", ask, extra, _skill_walk_of)
        for expert_id, strength in rows:
            if len(found) < limit:
                found.setdefault(expert_id, int(strength))
        if len(found) >= limit or len(rows) < page_size:
            return list(found.items())
        last_expert, last_strength = rows[-1]
        after = (int(last_strength), last_expert)


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
