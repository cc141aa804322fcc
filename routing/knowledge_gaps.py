"""Selectors of the knowledge-base pages: the staff list with its filters, and the "gaps":
recent questions the knowledge base had no good entry for, grouped by what they ask, each
group with the best expert answer to it (the draft a new entry can start from)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from routing.models import AutoAnswer, KnowledgeEntry, Message, Question

GAP_DAYS = 30
# The newest questions that count; grouping compares every pair of them.
GAP_QUESTIONS = 300
GAP_EXAMPLES = 5

STATUSES = ("published", "draft", "archived")


def knowledge_entries_for_staff(
    *,
    entries: QuerySet[KnowledgeEntry],
    search: str = "",
    product_id: int | None = None,
    general: bool = False,
    status: str = "",
    flagged: bool = False,
) -> QuerySet[KnowledgeEntry]:
    """The staff list: ``entries`` (already scoped to the viewer and brand) filtered by text
    in the question or answer, product (``general``: entries for no product), status
    (published, draft, archived; by default everything but the archived) and flag."""
    if search.strip():
        for word in search.split()[:8]:
            entries = entries.filter(Q(question__icontains=word) | Q(answer__icontains=word))
    if general:
        entries = entries.filter(product__isnull=True)
    elif product_id is not None:
        entries = entries.filter(product_id=product_id)
    if status == "archived":
        entries = entries.filter(archived_at__isnull=False)
    else:
        entries = entries.filter(archived_at__isnull=True)
        if status == "published":
            entries = entries.filter(is_published=True)
        elif status == "draft":
            entries = entries.filter(is_published=False)
    if flagged:
        entries = entries.failing()
    return entries.select_related("product", "expert__user__expert_profile").order_by(
        "product__name", "question", "pk"
    )


@dataclass
class Gap:
    """A group of recent questions asking the same thing with no good entry to answer."""

    questions: list[Question]
    size: int
    products: list[str]
    best: Question | None = None
    best_answer: str = ""
    best_expert: str = ""
    best_rating: int | None = None
    draft: KnowledgeEntry | None = None
    examples: list[Question] = field(default_factory=list)


def _unanswered(brand_id: int, since: Any) -> list[Question]:
    """Questions since ``since`` that got no automated answer, one below the threshold
    (asked for "AI first"), or one that did not help or was handed to a person; minus those
    whose triage found an entry confident enough (the customer chose a person)."""
    weak = Q(auto_answer__isnull=True) | Q(auto_answer__below_threshold=True)
    weak |= Q(
        auto_answer__outcome__in=[AutoAnswer.Outcome.NOT_HELPED, AutoAnswer.Outcome.HANDED_OVER]
    )
    rows = (
        Question.objects.filter(brand_id=brand_id, created_at__gte=since)
        .filter(weak)
        .select_related("product", "auto_answer")
        .order_by("-created_at", "-pk")[:GAP_QUESTIONS]
    )
    found = []
    for question in rows:
        triage = question.triage or {}
        confidence, threshold = (
            triage.get("knowledge_confidence"),
            triage.get("answer_threshold"),
        )
        answered = getattr(question, "auto_answer", None) is not None
        # A good entry existed; the customer went to a person anyway.
        confident = confidence is not None and threshold is not None and confidence >= threshold
        if not answered and confident:
            continue
        if question.expert_text.strip():
            found.append(question)
    return found


def _expert_answers(question_ids: Iterable[int]) -> dict[int, list[str]]:
    answers: dict[int, list[str]] = {}
    for question_id, body in Message.objects.filter(
        question_id__in=list(question_ids), role=Message.Role.EXPERT
    ).values_list("question_id", "body"):
        if body.strip():
            answers.setdefault(question_id, []).append(body)
    return answers


def knowledge_gaps(
    *,
    brand_id: int,
    days: int = GAP_DAYS,
    ratings: Callable[[list[int]], dict[int, int]] | None = None,
) -> list[Gap]:
    """Groups of the last ``days`` days' questions with no good entry, biggest first.

    ``ratings`` maps question ids to the customer's rating (1..5); quality, above this app,
    provides it. The best answer of a group is the resolved one rated highest, then the
    most recent; its text is redacted, as an entry made from it would be."""
    from routing.text import redact
    from routing.text.clusters import (
        GROUP_THRESHOLDS,
        greedy_groups,
        similarities,
        vector_from_bytes,
    )
    from routing.text.embeddings import text_backend

    questions = _unanswered(brand_id, timezone.now() - timedelta(days=days))
    if not questions:
        return []
    backend = text_backend()
    # Triage stored each question's embedding: only questions it never saw are embedded now.
    stored = [
        vector_from_bytes(q.text_vector) if q.text_vector_backend == backend else None
        for q in questions
    ]
    matrix, backend = similarities([q.expert_text for q in questions], backend, stored)
    groups = greedy_groups(matrix, GROUP_THRESHOLDS[backend])
    resolved = [q.pk for q in questions if q.status == Question.Status.RESOLVED]
    answers = _expert_answers(resolved)
    scores = ratings(list(answers)) if ratings and answers else {}
    drafts = {
        entry.source_question_id: entry
        for entry in KnowledgeEntry.objects.filter(source_question_id__in=[q.pk for q in questions])
    }
    gaps = []
    for members in groups:
        rows = [questions[i] for i in members]
        gap = Gap(
            questions=rows,
            size=len(rows),
            products=sorted({q.product.name for q in rows if q.product is not None}),
            examples=rows[:GAP_EXAMPLES],
        )
        gap.draft = next((drafts[q.pk] for q in rows if q.pk in drafts), None)
        candidates = [q for q in rows if q.pk in answers]
        if candidates:
            best = max(
                candidates,
                key=lambda q: (scores.get(q.pk, 0), q.resolved_at or q.created_at, q.pk),
            )
            gap.best = best
            gap.best_answer = "\n\n".join(redact(body).text for body in answers[best.pk])
            gap.best_rating = scores.get(best.pk)
        gaps.append(gap)
    _name_experts(gaps)
    return gaps


def _name_experts(gaps: list[Gap]) -> None:
    from routing.models import Assignment

    best_ids = [gap.best.pk for gap in gaps if gap.best is not None]
    names: dict[int, str] = {}
    for assignment in (
        Assignment.objects.filter(question_id__in=best_ids, status=Assignment.Status.RESOLVED)
        .select_related("expert__user__expert_profile")
        .order_by("ended_at", "pk")
    ):
        names[assignment.question_id] = assignment.expert.display_name
    for gap in gaps:
        if gap.best is not None:
            gap.best_expert = names.get(gap.best.pk, "")
