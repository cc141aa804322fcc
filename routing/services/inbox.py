"""What brand staff do from the inbox: internal notes, tags, canned replies, reassignment.

Replying and resolving are the conversation's own services (``message_post``,
``question_resolve``); these are the staff-only additions around them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gigcx.audit import audit_record
from gigcx.db import retry_on_conflict
from gigcx.exceptions import ApplicationError, ConflictError, NotFoundError
from marketplace.models import Brand, Expert
from routing import system_texts
from routing.live import push_after_commit
from routing.models import (
    Assignment,
    CannedReply,
    InternalNote,
    Message,
    Question,
    QuestionTag,
)
from routing.selectors import routing_settings_for
from routing.services.offers import _locked_question, offer_to_named_expert
from routing.services.presence import capacity_release

NOTE_MAX = 4000
TAG_MAX = 40
CANNED_TITLE_MAX, CANNED_BODY_MAX = 80, 4000


def internal_note_add(*, question: Question, author: Any, body: str) -> InternalNote:
    """Keep a staff note on the conversation. Customers and experts never see it."""
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write the note first."), fields={"body": [_("Required.")]})
    if len(body) > NOTE_MAX:
        raise ApplicationError(
            _("Notes are limited to %(count)d characters.") % {"count": NOTE_MAX},
            fields={"body": [_("Too long.")]},
        )
    note = InternalNote.objects.create(
        question=question, brand_id=question.brand_id, author=author, body=body
    )
    audit_record(
        actor=author, action="question.note_added", target=question, brand_id=question.brand_id
    )
    return note


def _tag_name(name: str) -> str:
    cleaned = " ".join((name or "").split()).lower()
    if not cleaned:
        raise ApplicationError(_("Give the tag a name."), fields={"name": [_("Required.")]})
    if len(cleaned) > TAG_MAX:
        raise ApplicationError(
            _("Tags are limited to %(count)d characters.") % {"count": TAG_MAX},
            fields={"name": [_("Too long.")]},
        )
    return cleaned


@transaction.atomic
def question_tag_add(*, question: Question, name: str, actor: Any) -> QuestionTag:
    """Put one of the brand's tags on the question, creating the tag the first time.
    Idempotent: adding a tag the question has changes nothing."""
    tag, _created = QuestionTag.objects.get_or_create(
        brand_id=question.brand_id, name=_tag_name(name)
    )
    question.tags.add(tag)
    audit_record(
        actor=actor,
        action="question.tagged",
        target=question,
        brand_id=question.brand_id,
        data={"tag": tag.name},
    )
    return tag


def question_tag_remove(*, question: Question, tag_id: int, actor: Any) -> None:
    """Take a tag off the question (the tag itself stays for the brand)."""
    tag = QuestionTag.objects.filter(pk=tag_id, brand_id=question.brand_id).first()
    if tag is None:
        raise NotFoundError(_("No such tag."))
    with transaction.atomic():
        question.tags.remove(tag)
        audit_record(
            actor=actor,
            action="question.untagged",
            target=question,
            brand_id=question.brand_id,
            data={"tag": tag.name},
        )


def question_tag_delete(*, brand: Brand, tag_id: int, actor: Any) -> None:
    """Delete a brand's tag; it comes off every question that had it."""
    deleted, _details = QuestionTag.objects.filter(pk=tag_id, brand=brand).delete()
    if not deleted:
        raise NotFoundError(_("No such tag."))
    audit_record(actor=actor, action="tag.deleted", brand_id=brand.pk, data={"tag_id": tag_id})


def _canned_fields(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the reply a short title.")]
    elif len(title) > CANNED_TITLE_MAX:
        errors["title"] = [
            _("Keep the title under %(count)d characters.") % {"count": CANNED_TITLE_MAX}
        ]
    if not body:
        errors["body"] = [_("Write the reply.")]
    elif len(body) > CANNED_BODY_MAX:
        errors["body"] = [
            _("Replies are limited to %(count)d characters.") % {"count": CANNED_BODY_MAX}
        ]
    if errors:
        raise ApplicationError(_("Check the reply's title and text."), fields=errors)
    return title, body


def _duplicate_title(title: str) -> ApplicationError:
    message = _("There is already a reply called “%(title)s”.") % {"title": title}
    return ApplicationError(message, fields={"title": [message]})


def canned_reply_create(*, brand: Brand, actor: Any, title: str, body: str) -> CannedReply:
    title, body = _canned_fields(title, body)
    try:
        with transaction.atomic():
            reply = CannedReply.objects.create(brand=brand, title=title, body=body)
    except IntegrityError:
        raise _duplicate_title(title) from None
    audit_record(actor=actor, action="canned_reply.created", target=reply, brand_id=brand.pk)
    return reply


def canned_reply_update(
    *, brand: Brand, reply_id: int, actor: Any, title: str, body: str
) -> CannedReply:
    title, body = _canned_fields(title, body)
    reply = CannedReply.objects.filter(pk=reply_id, brand=brand).first()
    if reply is None:
        raise NotFoundError(_("No such reply."))
    reply.title, reply.body = title, body
    try:
        with transaction.atomic():
            reply.save(update_fields=["title", "body", "updated_at"])
    except IntegrityError:
        raise _duplicate_title(title) from None
    audit_record(actor=actor, action="canned_reply.updated", target=reply, brand_id=brand.pk)
    return reply


def canned_reply_delete(*, brand: Brand, reply_id: int, actor: Any) -> None:
    deleted, _details = CannedReply.objects.filter(pk=reply_id, brand=brand).delete()
    if not deleted:
        raise NotFoundError(_("No such reply."))
    audit_record(
        actor=actor, action="canned_reply.deleted", brand_id=brand.pk, data={"reply_id": reply_id}
    )


def reassign_validate(*, question: Question, expert_id: int | None) -> Expert:
    """The expert a question may be handed to: in this brand's pool, taking offers.
    Another brand's expert reads as unknown, like any other id from elsewhere."""
    expert = (
        Expert.objects.filter(pk=expert_id, brand_id=question.brand_id)
        .select_related("user__expert_profile")
        .first()
        if expert_id is not None
        else None
    )
    if expert is None:
        raise ApplicationError(
            _("Choose an expert from this brand's pool."),
            fields={"expert": [_("Not in the pool.")]},
        )
    if not expert.receives_offers:
        raise ApplicationError(
            _("This expert is not taking questions (not approved, or suspended)."),
            fields={"expert": [_("Not taking questions.")]},
        )
    return expert


@retry_on_conflict
def question_reassign(*, question_id: int, expert_id: int | None, actor: Any) -> Assignment:
    """Staff hand a question to a named expert of the brand's pool.

    The current expert (if any) is released and her slot freed, open offers are withdrawn,
    and the named expert gets an offer of her own with the brand's offer timeout. She accepts
    it like any offer (``assignment_accept``: capacity and races as usual); if she declines
    or lets it run out, the question waits and is routed as normal. Takes the question's row
    lock (routing's lock order: question first).
    """
    with transaction.atomic():
        question = _locked_question(question_id)
        if question is None:
            raise NotFoundError(_("No such question."))
        expert = reassign_validate(question=question, expert_id=expert_id)
        if question.status == Question.Status.RESOLVED:
            raise ConflictError(_("This conversation is resolved; it cannot be reassigned."))
        current = (
            Assignment.objects.filter(question=question, status=Assignment.Status.ACCEPTED)
            .select_related("expert")
            .first()
        )
        if current is not None and current.expert_id == expert.pk:
            raise ConflictError(_("This expert already has the conversation."))
        now = timezone.now()
        settings = routing_settings_for(question.brand_id)
        withdrawn = list(
            Assignment.objects.filter(
                question=question, status=Assignment.Status.OFFERED
            ).values_list("expert__user_id", flat=True)
        )
        Assignment.objects.filter(question=question, status=Assignment.Status.OFFERED).update(
            status=Assignment.Status.WITHDRAWN, ended_at=now
        )
        if current is not None:
            Assignment.objects.filter(pk=current.pk).update(
                status=Assignment.Status.RELEASED, ended_at=now
            )
            capacity_release(user_id=current.expert.user_id)
        offer = offer_to_named_expert(
            question,
            expert=expert,
            step=max(1, min(question.routing_step, 3)),
            reason="reassigned",
            note="chosen by the brand's staff",
            timeout_seconds=settings.offer_timeout_seconds,
            now=now,
        )
        # A fresh start for the routing clock: if she passes, routing widens from step 1
        # under a new SLA instead of sending it straight back to staff.
        question.status = Question.Status.OFFERED
        question.routing_step = 1
        question.attempts = 1
        question.waiting_since = now
        question.sla_due_at = now + timedelta(minutes=settings.sla_minutes)
        question.save(
            update_fields=["status", "routing_step", "attempts", "waiting_since", "sla_due_at"]
        )
        Message.objects.create(
            question=question,
            role=Message.Role.SYSTEM,
            body=system_texts.REASSIGNED,
        )
        audit_record(
            actor=actor,
            action="question.reassigned",
            target=question,
            brand_id=question.brand_id,
            data={"expert_id": expert.pk, "from_expert_id": current.expert_id if current else None},
        )
        push_after_commit(
            [*withdrawn, current.expert.user_id if current else None],
            {"type": "offer.withdrawn", "question_id": question.pk},
        )
    return offer
