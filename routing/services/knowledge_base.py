"""Staff keep the knowledge base: edit, publish, archive and restore entries, and turn an
expert's resolved answer into a draft entry with one click.

The AI line reads only published entries that are not archived, and its index is keyed by
the entries' text (``routing.text.knowledge.cached_index``): an edit, a publish or an archive
is seen by the next question without any cache to clear.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from gigcx.tenancy import EDITOR_ROLES, Viewer
from marketplace.models import Brand, Expert, Product
from routing.models import Assignment, KnowledgeEntry, Message, Question

QUESTION_MAX, ANSWER_MAX = 300, 4000
# Other ways customers ask an entry's question: the AI line matches each of them too.
PHRASINGS_MAX = 30


def knowledge_phrasings_clean(question: str, phrasings: Any) -> tuple[list[str], list[str]]:
    """Blank, repeated and same-as-the-question lines left out, the order kept; returns the
    phrasings and the errors that name what to fix."""
    if phrasings is None:
        return [], []
    if isinstance(phrasings, str) or not isinstance(phrasings, (list, tuple)):
        return [], [gettext("Give a list of questions, one per item.")]
    seen = {question.strip().casefold()}
    kept: list[str] = []
    for raw in phrasings:
        text = " ".join(str(raw).split())
        if not text or text.casefold() in seen:
            continue
        if len(text) > QUESTION_MAX:
            return [], [
                gettext("Each way of asking may be at most %(max)s characters.")
                % {"max": QUESTION_MAX}
            ]
        seen.add(text.casefold())
        kept.append(text)
    if len(kept) > PHRASINGS_MAX:
        return [], [
            gettext("At most %(max)s other ways of asking; keep the clearest.")
            % {"max": PHRASINGS_MAX}
        ]
    return kept, []


def knowledge_entry_validate(
    *,
    brand: Brand,
    question: str,
    answer: str,
    product_id: int | None,
    phrasings: Any = None,
) -> Product | None:
    """Check an entry's fields; returns its product. Raises ``ApplicationError`` with a
    message per field."""
    errors: dict[str, list[str]] = {}
    _, phrasing_errors = knowledge_phrasings_clean(question, phrasings)
    if phrasing_errors:
        errors["phrasings"] = phrasing_errors
    if len(question.strip()) < 5:
        errors["question"] = [gettext("Write the question as a customer would ask it.")]
    elif len(question.strip()) > QUESTION_MAX:
        errors["question"] = [gettext("At most %(max)s characters.") % {"max": QUESTION_MAX}]
    if len(answer.strip()) < 10:
        errors["answer"] = [gettext("Write a complete answer.")]
    elif len(answer.strip()) > ANSWER_MAX:
        errors["answer"] = [gettext("At most %(max)s characters.") % {"max": ANSWER_MAX}]
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id, brand=brand).first()
        if product is None:
            errors["product_id"] = [gettext("No such product at this brand.")]
    if errors:
        raise ApplicationError(
            gettext("The entry could not be saved; see the fields."), fields=errors
        )
    return product


def knowledge_entry_update(
    *,
    entry: KnowledgeEntry,
    actor: Any,
    question: str,
    answer: str,
    product_id: int | None,
    phrasings: list[str] | None = None,
) -> KnowledgeEntry:
    """Change an entry's text, its other phrasings (None keeps them) or product. Its record
    stays: the entry is the same promise to customers, worded better. Audit-logged with what
    changed."""
    product = knowledge_entry_validate(
        brand=entry.brand,
        question=question,
        answer=answer,
        product_id=product_id,
        phrasings=phrasings,
    )
    with transaction.atomic():
        locked = KnowledgeEntry.objects.select_for_update().get(pk=entry.pk)
        before = {
            "question": locked.question,
            "answer": locked.answer,
            "product": locked.product_id,
            "phrasings": list(locked.phrasings or []),
        }
        locked.question = question.strip()
        locked.answer = answer.strip()
        locked.product = product
        locked.phrasings = knowledge_phrasings_clean(
            locked.question, before["phrasings"] if phrasings is None else phrasings
        )[0]
        locked.save(update_fields=["question", "answer", "product", "phrasings"])
        after = {
            "question": locked.question,
            "answer": locked.answer,
            "product": locked.product_id,
            "phrasings": locked.phrasings,
        }
        changed = sorted(name for name in before if before[name] != after[name])
        audit_record(
            actor=actor,
            action="knowledge.edited",
            target=locked,
            brand_id=locked.brand_id,
            data={"changed": changed},
        )
    return locked


def _status_change(entry: KnowledgeEntry, actor: Any, action: str, **fields: Any) -> KnowledgeEntry:
    with transaction.atomic():
        locked = KnowledgeEntry.objects.select_for_update().get(pk=entry.pk)
        if all(getattr(locked, name) == value for name, value in fields.items()):
            return locked  # already so: a second click changes nothing
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        audit_record(actor=actor, action=action, target=locked, brand_id=locked.brand_id)
    return locked


def knowledge_entry_publish(*, entry: KnowledgeEntry, actor: Any) -> KnowledgeEntry:
    """Approve a draft: the AI line may quote it from the next question. Idempotent; an
    archived entry is restored first."""
    if entry.archived_at is not None:
        raise ConflictError(gettext("Restore the entry before publishing it."))
    return _status_change(entry, actor, "knowledge.published", is_published=True)


def knowledge_entry_unpublish(*, entry: KnowledgeEntry, actor: Any) -> KnowledgeEntry:
    """Back to draft: kept for staff, no longer quoted. Idempotent."""
    return _status_change(entry, actor, "knowledge.unpublished", is_published=False)


def knowledge_entry_archive(*, entry: KnowledgeEntry, actor: Any) -> KnowledgeEntry:
    """Archive: leaves the index and the public FAQ, keeps its record. Idempotent."""
    if entry.archived_at is not None:
        return entry
    return _status_change(
        entry, actor, "knowledge.archived", is_published=False, archived_at=timezone.now()
    )


def knowledge_entry_restore(*, entry: KnowledgeEntry, actor: Any) -> KnowledgeEntry:
    """Bring an archived entry back as a draft, to be checked and published again."""
    return _status_change(entry, actor, "knowledge.restored", archived_at=None)


def knowledge_draft_access(*, viewer: Viewer, question_id: int) -> Question:
    """Who may turn a conversation into a draft entry: the brand's owners and managers, and
    the expert who resolved it. Anyone who cannot see the question gets 404."""
    question = (
        Question.objects.visible_to(viewer)
        .select_related("brand", "product")
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        raise NotFoundError(gettext("No such question."))
    resolved_it = Assignment.objects.filter(
        question=question, status=Assignment.Status.RESOLVED, expert__user_id=viewer.user_id
    ).exists()
    if not (viewer.is_staff_of(question.brand_id, EDITOR_ROLES) or resolved_it):
        raise ForbiddenError(
            gettext(
                "Only the brand's owners and managers, or the expert who answered, can do this."
            )
        )
    return question


def _shortened(text: str, limit: int, *, one_line: bool = False) -> str:
    text = " ".join(text.split()) if one_line else text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def knowledge_entry_draft_from_question(*, question: Question, actor: Any) -> KnowledgeEntry:
    """Make a draft entry (not published) from a resolved conversation: the customer's
    question and the expert's answer, both redacted, crediting the expert. Call
    :func:`knowledge_draft_access` first. A conversation makes one entry: asking again
    returns the entry it already made."""
    from routing.text import redact

    existing = KnowledgeEntry.objects.filter(source_question=question).first()
    if existing is not None:
        return existing
    if question.status != Question.Status.RESOLVED:
        raise ConflictError(gettext("Only a resolved conversation can become an FAQ entry."))
    resolved = (
        Assignment.objects.filter(question=question, status=Assignment.Status.RESOLVED)
        .select_related("expert")
        .order_by("-ended_at", "-pk")
        .first()
    )
    expert: Expert | None = resolved.expert if resolved else None
    replies = Message.objects.filter(question=question, role=Message.Role.EXPERT)
    if expert is not None and replies.filter(author_id=expert.user_id).exists():
        replies = replies.filter(author_id=expert.user_id)
    bodies = [body for body in replies.values_list("body", flat=True) if body.strip()]
    if not bodies:
        raise ConflictError(
            gettext("No expert answered in this conversation, so there is nothing to keep.")
        )
    answer = "\n\n".join(redact(body).text.strip() for body in bodies)
    try:
        with transaction.atomic():
            entry = KnowledgeEntry.objects.create(
                brand_id=question.brand_id,
                product_id=question.product_id,
                question=_shortened(question.expert_text, QUESTION_MAX, one_line=True),
                answer=_shortened(answer, ANSWER_MAX),
                source=KnowledgeEntry.Source.EXPERT,
                is_published=False,
                expert=expert,
                source_question=question,
            )
            audit_record(
                actor=actor,
                action="knowledge.drafted",
                target=entry,
                brand_id=question.brand_id,
                data={"question_id": question.pk, "expert_id": expert.pk if expert else None},
            )
    except IntegrityError:
        # Two clicks at once: the other one made it.
        return KnowledgeEntry.objects.get(source_question=question)
    return entry
