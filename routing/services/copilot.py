"""The expert's copilot: the best knowledge entries for the question in front of her and a
reply drafted from them and from her own past answers.

A draft is only ever offered. It never becomes a message by itself: the expert puts it in
her reply box, edits it and sends it, and she is the message's author. What is recorded
(``CopilotDraft``) is how often drafts are offered, used and sent unedited.

Similarity is the knowledge index's (``routing/text/knowledge.py``): sentence embeddings
with the default install, TF-IDF where the runtime is missing. Her past answers are her
longest message in each of her resolved conversations at the same brand (the latest
``PAST_LIMIT``), found by how close their question is to this one; they are redacted again
before reuse, so nothing of another customer's contact details travels into a new reply.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from gigcx.exceptions import ApplicationError, ForbiddenError
from routing import text
from routing.models import Assignment, CopilotDraft, KnowledgeEntry, Message, Question
from routing.text.embeddings import EmbeddingsUnavailable, fall_back
from routing.text.knowledge import KnowledgeIndex, cached_index

# Entries shown beside the conversation, with their score; an entry scoring under SHOWN_MIN
# has nothing to do with the question and is left out.
SHOWN = 3
SHOWN_MIN = 0.1
# Her resolved conversations the draft may reuse (newest first).
PAST_LIMIT = 50
# Below this similarity a source is shown but not put in the draft. The backends' scores are
# not comparable: a sentence-embedding cosine of 0.5 is a paraphrase, a TF-IDF 0.3 is
# already on topic (the README's tour question scores 0.63 against its entry).
DRAFT_FLOOR = {"tfidf": 0.3, "onnx": 0.5, "torch": 0.5}
# What she sent "came from the draft" when at least this share of it is draft text.
KEPT_MIN = 0.5
RUN = 3
DRAFT_MAX = 4000


@dataclass(frozen=True)
class Source:
    """One entry or past answer beside the conversation, with its similarity."""

    kind: str  # "entry" or "past"
    id: int  # knowledge entry id, or the past question's id
    title: str
    text: str
    score: float
    used: bool = False
    url: str = ""


@dataclass
class Copilot:
    backend: str
    draft: CopilotDraft | None
    entries: list[Source] = field(default_factory=list)
    past: list[Source] = field(default_factory=list)


def copilot_access(*, question: Question, user: Any) -> Assignment:
    """The assignment that makes ``user`` the question's expert now, or ForbiddenError. Only
    the assigned expert gets a draft: not the customer, not staff, not an expert who was only
    offered the question or handled it before."""
    assignment = (
        Assignment.objects.filter(
            question=question, status=Assignment.Status.ACCEPTED, expert__user_id=user.pk
        )
        .select_related("expert")
        .first()
    )
    if assignment is None or question.status == Question.Status.RESOLVED:
        raise ForbiddenError(gettext("Only the expert answering this question gets the copilot."))
    return assignment


def copilot_for(*, question: Question, user: Any) -> Copilot:
    """The entries, her past answers and a draft for the latest customer message.

    Creates at most one ``CopilotDraft`` per customer message (a reload or a second tab
    returns the same row) and never a ``Message``. No draft when nothing is close enough.
    """
    assignment = copilot_access(question=question, user=user)
    basis = (
        Message.objects.filter(question=question, role=Message.Role.CUSTOMER)
        .order_by("-created_at", "-pk")
        .first()
    )
    if basis is None:  # every question starts with one; a deleted row is the only way here
        return Copilot(backend=_backend(), draft=None)
    existing = CopilotDraft.objects.filter(
        question=question, expert=assignment.expert, basis=basis
    ).first()
    query = _query(question, basis)
    entries, backend = _entries(question, query)
    past = _past_answers(question, assignment, query, backend)
    if existing is not None:
        return Copilot(
            backend=existing.backend,
            draft=existing,
            entries=_mark(entries, set(existing.entry_ids)),
            past=_mark(past, set(existing.past_question_ids)),
        )
    body, entries, past = _compose(question, entries, past, backend)
    if not body:
        return Copilot(backend=backend, draft=None, entries=entries, past=past)
    draft, _ = CopilotDraft.objects.get_or_create(
        question=question,
        expert=assignment.expert,
        basis=basis,
        defaults={
            "brand_id": question.brand_id,
            "body": body,
            "entry_ids": [s.id for s in entries if s.used],
            "past_question_ids": [s.id for s in past if s.used],
            "backend": backend,
        },
    )
    return Copilot(backend=backend, draft=draft, entries=entries, past=past)


def copilot_draft_validate(*, question: Question, user: Any, draft_id: int) -> CopilotDraft:
    """The draft the expert says her message came from: hers, for this question."""
    draft = CopilotDraft.objects.filter(
        pk=draft_id, question=question, expert__user_id=user.pk
    ).first()
    if draft is None:
        raise ApplicationError(
            gettext("That draft is not one of yours for this conversation."),
            fields={"draft_id": [gettext("No such draft for this conversation.")]},
        )
    return draft


def copilot_draft_record_use(*, draft: CopilotDraft, message: Message) -> bool:
    """Mark the draft used by ``message`` when at least half of what she sent is draft text,
    and whether she edited it. Only the first message counts (a conditional update: two
    sends racing cannot both claim it). Returns True when this call recorded the use."""
    if kept_share(draft.body, message.body) < KEPT_MIN:
        return False
    edited = _normal(draft.body) != _normal(message.body)
    won = CopilotDraft.objects.filter(pk=draft.pk, used_at=None).update(
        used_at=timezone.now(), message=message, edited=edited
    )
    return won == 1


def kept_share(draft: str, sent: str) -> float:
    """Share of the sent words (0..1) that are runs of at least ``RUN`` words of the draft, in
    order. Runs, not single words: "the" and "you" are in every reply."""
    draft_words, sent_words = draft.lower().split(), sent.lower().split()
    if not sent_words:
        return 0.0
    matcher = SequenceMatcher(None, draft_words, sent_words, autojunk=False)
    run = min(RUN, len(sent_words))
    kept = sum(block.size for block in matcher.get_matching_blocks() if block.size >= run)
    return kept / len(sent_words)


def _normal(value: str) -> str:
    return " ".join(value.split())


def _backend() -> str:
    from routing.text.embeddings import text_backend

    return text_backend()


def _query(question: Question, basis: Message) -> str:
    """What the customer asks now, in the redacted words the expert sees, with the product
    the question is about (what "them" and "it" refer to)."""
    parts = [question.expert_text]
    if basis.body.strip() != question.body.strip():
        parts.append(basis.expert_text)
    if question.product_id is not None:
        parts.append(f"({question.product.name})")
    return " ".join(parts)


def _entries(question: Question, query: str) -> tuple[list[Source], str]:
    from routing.services.knowledge import entry_url

    rows = list(
        KnowledgeEntry.objects.filter(brand_id=question.brand_id, is_published=True)
        .order_by("pk")
        .values_list("pk", "question", "answer", "product_id")
    )
    # As for the AI line: an entry about another product is no answer.
    allowed = {pk for pk, _, _, product_id in rows if product_id in (None, question.product_id)}
    if not allowed:
        return [], _backend()
    index = cached_index([(pk, q, a) for pk, q, a, _ in rows])
    matches = index.best(query, k=SHOWN, only=allowed)
    found = KnowledgeEntry.objects.select_related("brand").in_bulk([m.entry_id for m in matches])
    return [
        Source(
            kind="entry",
            id=m.entry_id,
            title=found[m.entry_id].question,
            text=found[m.entry_id].answer,
            score=m.score,
            url=entry_url(found[m.entry_id]),
        )
        for m in matches
        if m.score >= SHOWN_MIN
    ], index.backend


def _past_answers(
    question: Question, assignment: Assignment, query: str, backend: str
) -> list[Source]:
    """Her best past answer to a similar question at this brand (at most one)."""
    resolved = list(
        Assignment.objects.filter(
            expert=assignment.expert,
            status=Assignment.Status.RESOLVED,
            question__status=Question.Status.RESOLVED,
        )
        .exclude(question=question)
        .order_by("-ended_at", "-pk")
        .values_list("question_id", flat=True)[:PAST_LIMIT]
    )
    if not resolved:
        return []
    # Her longest message in each conversation is taken as her answer there.
    answers: dict[int, str] = {}
    for question_id, body in Message.objects.filter(
        question_id__in=resolved, role=Message.Role.EXPERT, author_id=assignment.expert.user_id
    ).values_list("question_id", "body"):
        if len(body) > len(answers.get(question_id, "")):
            answers[question_id] = body
    if not answers:
        return []
    # Triage stored each question's redacted copy; redact here only what it never saw.
    asked = {
        pk: redacted or text.redact(body).text
        for pk, redacted, body in Question.objects.filter(pk__in=list(answers)).values_list(
            "pk", "redacted_body", "body"
        )
    }
    entries = [(pk, asked[pk], answer) for pk, answer in sorted(answers.items())]
    matches = _past_index(entries, backend).best(query, k=1)
    by_id = {pk: (asked_text, answer) for pk, asked_text, answer in entries}
    return [
        Source(
            kind="past",
            id=m.entry_id,
            title=by_id[m.entry_id][0],
            # Written to another customer: their contact details must not travel along.
            text=text.redact(by_id[m.entry_id][1]).text,
            score=m.score,
        )
        for m in matches
    ]


_past_indexes: OrderedDict[tuple[str, tuple[Any, ...]], KnowledgeIndex] = OrderedDict()
_past_lock = threading.Lock()
PAST_INDEXES = 64


def _past_index(entries: list[tuple[int, str, str]], backend: str) -> KnowledgeIndex:
    """The index of an expert's past answers, built once per process for the same answers
    (her next draft reuses it until she resolves another question). Apart from the brands'
    knowledge indexes, so many experts do not push those out of their cache."""
    key = (backend, tuple(entries))
    with _past_lock:
        index = _past_indexes.get(key)
        if index is not None:
            _past_indexes.move_to_end(key)
            return index
    try:
        index = KnowledgeIndex(entries, backend=backend)
    except EmbeddingsUnavailable as error:
        index = KnowledgeIndex(entries, backend=fall_back(error))
    with _past_lock:
        _past_indexes[key] = index
        while len(_past_indexes) > PAST_INDEXES:
            _past_indexes.popitem(last=False)
    return index


def _mark(sources: list[Source], used: set[int]) -> list[Source]:
    return [
        Source(s.kind, s.id, s.title, s.text, s.score, used=s.id in used, url=s.url)
        for s in sources
    ]


def _compose(
    question: Question, entries: list[Source], past: list[Source], backend: str
) -> tuple[str, list[Source], list[Source]]:
    """The draft: a greeting, her own past answer when one is close (her voice first), the
    best entry unless it says the same, a closing line. Empty when no source is close."""
    floor = DRAFT_FLOOR.get(backend, DRAFT_FLOOR["tfidf"])
    used_past = [s for s in past if s.score >= floor][:1]
    used_entries = [s for s in entries if s.score >= floor][:1]
    if used_past and used_entries and kept_share(used_past[0].text, used_entries[0].text) > 0.8:
        used_entries = []  # her answer already says what the entry says
    if not used_past and not used_entries:
        return "", entries, past
    about = f" about the {question.product.name}" if question.product_id else ""
    parts = [f"Hi, thanks for your question{about}."]
    parts += [s.text.strip() for s in used_past + used_entries]
    parts.append("Does that help? Tell me if anything is unclear.")
    body = "\n\n".join(parts)[:DRAFT_MAX]
    return (
        body,
        _mark(entries, {s.id for s in used_entries}),
        _mark(past, {s.id for s in used_past}),
    )
