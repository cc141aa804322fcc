"""A question's life: asked, sent to experts, talked about, resolved or escalated."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import ExpressionWrapper, F, FloatField, Subquery, Value
from django.db.models.functions import Greatest, Ln, Power
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gigcx.audit import audit_record
from gigcx.db import retry_on_conflict
from gigcx.dispatch import Publish, enqueue_many, enqueue_on_commit
from gigcx.events import event_record
from gigcx.exceptions import (
    ApplicationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    QuotaExceededError,
)
from gigcx.models import User
from marketplace.models import Brand, Expert, Product
from routing import system_texts
from routing.live import push_after_commit
from routing.models import Assignment, Message, Presence, Question, RoutingSettings
from routing.scoring import RECENCY_HALF_LIFE_QUESTIONS
from routing.selectors import routing_settings_for
from routing.services.offers import (
    _locked_question,
    offer_to_named_expert,
    question_escalate_locked,
)
from routing.services.presence import capacity_release

BODY_MIN, BODY_MAX = 10, 4000


def _recency_add(*, expert_id: int, brand_id: int) -> None:
    """One more resolution for the expert's recency: decay what she had to the brand's
    current question count, add one. A relative update, so concurrent resolutions add up."""
    seq = Brand.objects.filter(pk=brand_id).values_list("question_seq", flat=True)[0]
    decay = Power(
        Value(0.5),
        ExpressionWrapper(
            (Value(float(seq)) - F("recency_seq")) / Value(float(RECENCY_HALF_LIFE_QUESTIONS)),
            output_field=FloatField(),
        ),
    )
    Expert.objects.filter(pk=expert_id).update(
        recency=ExpressionWrapper(F("recency") * decay + 1.0, output_field=FloatField()),
        recency_seq=Greatest(F("recency_seq"), Value(seq)),
    )
    # The order routing's candidate index keeps (routing.selectors.recency_key), from the row
    # just written: the same statement's lock still holds it.
    Expert.objects.filter(pk=expert_id).update(
        recency_key=ExpressionWrapper(
            Ln(F("recency")) / Value(math.log(2))
            + F("recency_seq") / Value(float(RECENCY_HALF_LIFE_QUESTIONS)),
            output_field=FloatField(),
        )
    )


def question_quota_check(*, brand: Brand, asked_by: Any) -> None:
    """The brand's quotas, counted in the database (one indexed count): questions an hour
    from visitors without an account, and a day from one signed-in customer. Raises
    ``QuotaExceededError`` (429 with Retry-After) naming the limit."""
    now = timezone.now()
    if asked_by is None:
        limit, since, retry = brand.anonymous_questions_per_hour, now - timedelta(hours=1), 300
        used = Question.objects.filter(
            brand=brand, asked_by__isnull=True, created_at__gte=since
        ).count()
        message = _(
            "%(brand)s is receiving more questions from visitors without an account than "
            "it accepts in an hour (%(limit)d). Please try again in a few minutes, or sign in."
        ) % {"brand": brand.name, "limit": limit}
    else:
        limit, since, retry = brand.questions_per_customer_per_day, now - timedelta(days=1), 3600
        used = Question.objects.filter(
            brand=brand, asked_by=asked_by, created_at__gte=since
        ).count()
        message = ngettext(
            "You have reached %(brand)s's limit of %(limit)d question a day from one customer. "
            "Please add to an open conversation instead, or try again later.",
            "You have reached %(brand)s's limit of %(limit)d questions a day from one customer. "
            "Please add to an open conversation instead, or try again later.",
            limit,
        ) % {"brand": brand.name, "limit": limit}
    if used >= limit:
        raise QuotaExceededError(message, retry_after=retry)


def question_create(
    *,
    brand: Brand,
    body: str,
    asked_by: Any = None,
    contact_email: str = "",
    product_id: int | None = None,
    preference: str = Question.Preference.AUTO,
    preferred_expert_id: int | None = None,
    tone_analysis: bool | None = None,
) -> tuple[Question, str | None]:
    """Record a question and schedule triage after commit.

    ``tone_analysis=False``: the customer opted out; no frustration is computed or stored for
    the question's messages. ``None`` takes a signed-in customer's saved choice (yes for
    anonymous askers); an explicit choice of a signed-in customer is saved for next time.
    Returns the question and, for an anonymous asker, the private-link token (shown once).
    Card numbers are masked before anything is stored (routing.text.mask_cards).
    """
    from routing.text import mask_cards

    body = mask_cards((body or "").strip())
    errors: dict[str, list[str]] = {}
    if len(body) < BODY_MIN:
        errors["body"] = [
            _("Tell us a bit more: at least %(count)d characters.") % {"count": BODY_MIN}
        ]
    elif len(body) > BODY_MAX:
        errors["body"] = [
            _("Keep it under %(count)d characters; you can add more in the chat.")
            % {"count": BODY_MAX}
        ]
    if preference not in Question.Preference.values:
        errors["preference"] = [_("Use auto, ai or expert.")]
    authenticated = asked_by is not None and getattr(asked_by, "is_authenticated", False)
    if not authenticated and not contact_email:
        errors["contact_email"] = [_("Give an email so we can send you the link to your answer.")]
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id, brand=brand, is_archived=False).first()
        if product is None:
            errors["product_id"] = [_("No such product at this brand.")]
    preferred = None
    if preferred_expert_id is not None:
        preferred = Expert.objects.approved().filter(pk=preferred_expert_id, brand=brand).first()
        if preferred is None:
            errors["preferred_expert_id"] = [_("No such expert at this brand.")]
    if not brand.is_active:
        raise NotFoundError(_("No such brand."))
    if errors:
        raise ApplicationError(_("The question could not be sent; see the fields."), fields=errors)

    token, token_hash = (None, "")
    if not authenticated:
        token, token_hash = Question.new_access_token()
    remembered = getattr(asked_by, "tone_analysis", True) if authenticated else True
    tone = remembered if tone_analysis is None else bool(tone_analysis)
    with transaction.atomic():
        if authenticated and isinstance(asked_by, User) and tone != remembered:
            User.objects.filter(pk=asked_by.pk).update(tone_analysis=tone)
            asked_by.tone_analysis = tone
        Brand.objects.filter(pk=brand.pk).update(question_seq=F("question_seq") + 1)
        # Counted under the brand row's lock just taken, so two racing askers cannot both
        # take the last place of a quota (the error rolls the sequence number back).
        question_quota_check(brand=brand, asked_by=asked_by if authenticated else None)
        # A signed-in customer's questions to the brand form a chain (previous / next asked),
        # linked inside the INSERT and one UPDATE; the brand row locked above orders them.
        earlier = Question.objects.filter(brand=brand, asked_by=asked_by).order_by(
            "-created_at", "-pk"
        )
        question = Question.objects.create(
            brand=brand,
            product=product,
            body=body,
            preference=preference,
            preferred_expert=preferred,
            asked_by=asked_by if authenticated else None,
            contact_email="" if authenticated else contact_email.strip().lower(),
            access_token_hash=token_hash,
            tone_analysis=tone,
            asked_before_at=Subquery(earlier.values("created_at")[:1]) if authenticated else None,
        )
        if authenticated:
            del question.asked_before_at  # stored by the subquery; read back if asked for
            previous = earlier.exclude(pk=question.pk).values("pk")[:1]
            Question.objects.filter(pk=Subquery(previous)).update(
                asked_again_at=question.created_at
            )
        Message.objects.create(
            question=question, author=question.asked_by, role=Message.Role.CUSTOMER, body=body
        )
        asked = event_record(
            name="question.asked",
            brand_id=brand.pk,
            payload={"question_id": question.pk, "product_id": question.product_id},
            deliver=False,
        )
        from routing.tasks import send_question_link, triage_question

        # After COMMIT (the triage worker reads this row), in one broker round trip. Triage
        # delivers question.asked first: one message for both (the sweeper owns a lost one).
        publishes = [Publish(triage_question, (question.pk, str(asked.pk)))]
        if token:
            from routing.notifications import question_link_seal

            # The link is mailed by a worker, not on the request's path; the token travels
            # sealed (question_link_seal says why), with the language of the page she asked
            # on. No sweeper owns the mail: with the broker down it is sent here.
            language = translation.get_language() or ""
            link = (question.pk, question_link_seal(token), language)
            publishes.append(Publish(send_question_link, link, run_here_if_broker_down=True))
        # Robust: a mail server that is down (when the mail is sent here) must not turn the
        # saved question into an error.
        transaction.on_commit(lambda: enqueue_many(publishes), robust=True)
    return question, token


@retry_on_conflict
def question_send_to_experts(
    *, question: Question, reason: str = "", route_after_commit: bool = True
) -> Question:
    """Put a question in the expert queue (human first) and route it after commit.

    ``route_after_commit=False`` is for a caller already on a worker (triage) that makes the
    first routing decision itself, in the same task, rather than publishing a second one.
    """
    with transaction.atomic():
        locked = _locked_question(question.pk)
        if locked is None or locked.status not in (
            Question.Status.NEW,
            Question.Status.AI_ANSWERED,
        ):
            return locked or question
        question_queue_locked(
            locked,
            settings=routing_settings_for(locked.brand_id),
            reason=reason,
            route_after_commit=route_after_commit,
        )
        return locked


def question_queue_locked(
    question: Question,
    *,
    settings: RoutingSettings,
    reason: str = "",
    route_after_commit: bool = True,
    also_save: Sequence[str] = (),
) -> None:
    """:func:`question_send_to_experts` for a new or AI-answered question the caller has
    locked, in the caller's transaction. ``also_save``: fields the caller changed on the
    question, written in the same UPDATE (triage's analysis)."""
    now = timezone.now()
    if not question.redacted_body:
        # The customer asked for a person before triage ran: experts must still only
        # ever see the redacted copy.
        from routing.triage import redact_for_experts

        question.redacted_body = redact_for_experts(question.body)
        for message in question.messages.filter(role=Message.Role.CUSTOMER, redacted_body=""):
            message.redacted_body = redact_for_experts(message.body)
            message.save(update_fields=["redacted_body"])
    question.status = Question.Status.WAITING
    question.waiting_since = now
    question.sla_due_at = now + timedelta(minutes=settings.sla_minutes)
    fields = ["status", "waiting_since", "sla_due_at", "redacted_body"]
    question.save(update_fields=[*fields, *(f for f in also_save if f not in fields)])
    if reason:
        Message.objects.create(question=question, role=Message.Role.SYSTEM, body=reason)
    from routing.tasks import route_question

    if route_after_commit:
        enqueue_on_commit(route_question, question.pk)
    push_after_commit(
        [question.asked_by_id], {"type": "question.waiting", "question_id": question.pk}
    )


def question_request_human(*, question: Question) -> Question:
    """The customer wants a person (one click from an automated answer). Idempotent."""
    if question.status in (
        Question.Status.WAITING,
        Question.Status.OFFERED,
        Question.Status.ASSIGNED,
    ):
        return question
    if question.status not in (Question.Status.NEW, Question.Status.AI_ANSWERED):
        raise ConflictError(_("This question is already closed or with the brand's team."))
    after_answer = question.status == Question.Status.AI_ANSWERED
    waiting = question_send_to_experts(question=question, reason=system_texts.ASKED_FOR_EXPERT)
    if after_answer and waiting.status == Question.Status.WAITING:
        from routing.services.knowledge import auto_answer_handed_over

        auto_answer_handed_over(question=waiting)
    return waiting


def _active_assignment(question: Question) -> Assignment | None:
    return (
        Assignment.objects.filter(question=question, status=Assignment.Status.ACCEPTED)
        .select_related("expert__user")
        .first()
    )


@retry_on_conflict
def question_resolve(*, question_id: int, actor: Any) -> Question:
    """Resolve: ends the assignment, frees the expert's slot, records `question.resolved`
    (payments books the earning from it) and routes waiting questions. Idempotent."""
    with transaction.atomic():
        question = _locked_question(question_id)
        if question is None:
            raise NotFoundError(_("No such question."))
        if question.status == Question.Status.RESOLVED:
            return question
        now = timezone.now()
        assignment = _active_assignment(question)
        if assignment is not None:
            Assignment.objects.filter(pk=assignment.pk).update(
                status=Assignment.Status.RESOLVED, ended_at=now
            )
            _recency_add(expert_id=assignment.expert_id, brand_id=question.brand_id)
            capacity_release(user_id=assignment.expert.user_id)
        Assignment.objects.filter(question=question, status=Assignment.Status.OFFERED).update(
            status=Assignment.Status.WITHDRAWN, ended_at=now
        )
        question.status = Question.Status.RESOLVED
        question.resolved_at = now
        question.save(update_fields=["status", "resolved_at"])
        audit_record(
            actor=actor, action="question.resolved", target=question, brand_id=question.brand_id
        )
        event_record(
            name="question.resolved",
            brand_id=question.brand_id,
            payload={
                "question_id": question.pk,
                "expert_id": assignment.expert_id if assignment else None,
                "product_id": question.product_id,
            },
        )
        push_after_commit(
            [question.asked_by_id, assignment.expert.user_id if assignment else None],
            {"type": "question.resolved", "question_id": question.pk},
        )
        if assignment is not None:
            from routing.tasks import route_waiting_soon

            route_waiting_soon()
    return question


def question_reopen(*, question_id: int, actor: Any, reason: str = "") -> Question:
    """Open a resolved question again (the customer said it is not solved).

    It goes back to the expert who resolved it when she is online with a free slot (an offer
    to her alone); otherwise it waits and is routed again. Idempotent on an open question.
    """
    with transaction.atomic():
        question = _locked_question(question_id)
        if question is None:
            raise NotFoundError(_("No such question."))
        if question.status != Question.Status.RESOLVED:
            return question
        now = timezone.now()
        previous = (
            Assignment.objects.filter(question=question, status=Assignment.Status.RESOLVED)
            .select_related("expert__user")
            .order_by("-ended_at", "-pk")
            .first()
        )
        settings = routing_settings_for(question.brand_id)
        question.status = Question.Status.WAITING
        question.resolved_at = None
        question.waiting_since = now
        question.sla_due_at = now + timedelta(minutes=settings.sla_minutes)
        question.routing_step = 0
        question.attempts = 0
        question.save(
            update_fields=[
                "status",
                "resolved_at",
                "waiting_since",
                "sla_due_at",
                "routing_step",
                "attempts",
            ]
        )
        Message.objects.create(
            question=question,
            role=Message.Role.SYSTEM,
            body=" ".join(part for part in (system_texts.REOPENED, reason.strip()) if part)[:400],
        )
        audit_record(
            actor=actor, action="question.reopened", target=question, brand_id=question.brand_id
        )
        presence = (
            Presence.objects.filter(user_id=previous.expert.user_id).first()
            if previous is not None
            else None
        )
        if (
            previous is not None
            and previous.expert.receives_offers
            and presence is not None
            and presence.is_available
        ):
            offer_to_named_expert(
                question,
                expert=previous.expert,
                step=max(1, previous.step),
                reason="reopened",
                note="reopened: back to the expert who resolved it",
                timeout_seconds=settings.offer_timeout_seconds,
                now=now,
            )
            question.status = Question.Status.OFFERED
            question.attempts = 1
            question.save(update_fields=["status", "attempts"])
        else:
            from routing.tasks import route_question

            enqueue_on_commit(route_question, question.pk)
        push_after_commit(
            [question.asked_by_id], {"type": "question.waiting", "question_id": question.pk}
        )
    return question


def _assignment_for_expert(question_id: int, user: Any) -> tuple[Question, Assignment]:
    question = _locked_question(question_id)
    if question is None:
        raise NotFoundError(_("No such question."))
    assignment = _active_assignment(question)
    if assignment is None or assignment.expert.user_id != user.pk:
        raise NotFoundError(_("No such question."))
    return question, assignment


@retry_on_conflict
def assignment_release(*, question_id: int, user: Any) -> Question:
    """The expert hands the question back to the queue; it goes to someone else."""
    with transaction.atomic():
        question, assignment = _assignment_for_expert(question_id, user)
        now = timezone.now()
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.RELEASED, ended_at=now
        )
        capacity_release(user_id=user.pk)
        question.status = Question.Status.WAITING
        question.save(update_fields=["status"])
        Message.objects.create(
            question=question,
            role=Message.Role.SYSTEM,
            body=system_texts.PASSED_ON,
        )
        audit_record(
            actor=user, action="assignment.released", target=assignment, brand_id=question.brand_id
        )
        from routing.tasks import route_question, route_waiting_soon

        enqueue_on_commit(route_question, question.pk)
        route_waiting_soon()
    return question


@retry_on_conflict
def assignment_escalate(*, question_id: int, user: Any, reason: str) -> Question:
    """The expert sends the question to the brand's staff (refunds, safety, out of depth)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Say why staff should take over."), fields={"reason": [_("Required.")]}
        )
    with transaction.atomic():
        question, assignment = _assignment_for_expert(question_id, user)
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.ESCALATED, ended_at=timezone.now()
        )
        capacity_release(user_id=user.pk)
        question_escalate_locked(
            question, reason=system_texts.escalation_by_expert(reason[:180]), actor=user
        )
        from routing.tasks import route_waiting_soon

        route_waiting_soon()
    return question


def participant_role(*, question: Question, user: Any, viewer_staff_brand_ids: list[int]) -> str:
    """How ``user`` takes part in the question, or ForbiddenError."""
    if user is not None and getattr(user, "is_authenticated", False):
        if question.asked_by_id == user.pk:
            return Message.Role.CUSTOMER
        active = _active_assignment(question)
        if active is not None and active.expert.user_id == user.pk:
            return Message.Role.EXPERT
        if question.brand_id in viewer_staff_brand_ids:
            return Message.Role.STAFF
    raise ForbiddenError(_("Only the customer, the assigned expert or brand staff can write here."))


def message_post(
    *,
    question: Question,
    author: Any,
    role: str,
    body: str,
    copilot_draft_id: int | None = None,
) -> Message:
    """Post a message in the conversation. A customer message is redacted for experts and,
    unless she opted out of tone analysis, scored for frustration. ``copilot_draft_id``: the
    expert's message came from this copilot draft; it is recorded as used (see
    ``routing/services/copilot.py``). The draft is only ever a suggestion: this is the one
    path by which a message is sent, and its author is whoever sent it."""
    from routing.text import mask_cards

    body = mask_cards((body or "").strip())
    if not body:
        raise ApplicationError(_("Write something first."), fields={"body": [_("Required.")]})
    if len(body) > BODY_MAX:
        raise ApplicationError(
            _("Messages are limited to %(count)d characters.") % {"count": BODY_MAX},
            fields={"body": [_("Too long.")]},
        )
    if question.status == Question.Status.RESOLVED:
        raise ConflictError(_("This conversation is resolved; ask a new question to continue."))
    draft = None
    if copilot_draft_id is not None:
        from routing.services.copilot import copilot_draft_validate

        if role != Message.Role.EXPERT:
            raise ApplicationError(
                _("Only the expert's replies come from copilot drafts."),
                fields={"draft_id": [_("Only for the assigned expert's replies.")]},
            )
        draft = copilot_draft_validate(question=question, user=author, draft_id=copilot_draft_id)
    redacted = ""
    mood = None
    if role == Message.Role.CUSTOMER:
        from routing import text
        from routing.triage import redact_for_experts

        redacted = redact_for_experts(body)
        if question.tone_analysis:
            mood = text.frustration(body).score
    previous = (
        Message.objects.filter(question=question, role=Message.Role.CUSTOMER)
        .exclude(frustration=None)
        .order_by("-created_at", "-pk")
        .values_list("frustration", flat=True)
        .first()
    )
    if previous is None and question.frustration is not None:
        previous = question.frustration  # the first message, scored by triage
    message = Message.objects.create(
        question=question,
        # API-key principals and anonymous askers are not rows of the user table.
        author=author if isinstance(author, User) else None,
        role=role,
        body=body,
        redacted_body=redacted,
        frustration=mood,
    )
    if draft is not None:
        from routing.services.copilot import copilot_draft_record_use

        copilot_draft_record_use(draft=draft, message=message)
    active = _active_assignment(question)
    push_after_commit(
        [question.asked_by_id, active.expert.user_id if active else None],
        {"type": "message.new", "question_id": question.pk, "message_id": message.pk},
    )
    if mood is not None:
        _customer_mood_read(question, mood, previous, active)
    return message


# A rise of this much between two customer messages is "sharp": the expert is told.
SHARP_RISE = 0.25


def _customer_mood_read(
    question: Question, mood: float, previous: float | None, active: Assignment | None
) -> None:
    """Every customer message is read, not only the first. An upset follow-up to an
    automated answer goes to a person at once, first in line; in a conversation with an
    expert a sharp rise tells her, and past the brand's threshold its staff too."""
    from routing import text

    Question.objects.filter(pk=question.pk).update(frustration=mood)
    question.frustration = mood
    upset = mood >= text.frustration_threshold()
    if question.status == Question.Status.AI_ANSWERED and upset:
        waiting = question_send_to_experts(
            question=question,
            reason=system_texts.AUTO_ANSWER_FAILED,
        )
        Question.objects.filter(pk=waiting.pk).update(priority=2)
        from routing.services.knowledge import auto_answer_handed_over

        auto_answer_handed_over(question=waiting)
        return
    if active is None or active.status != Assignment.Status.ACCEPTED:
        return
    rising = previous is None or mood - previous >= SHARP_RISE
    if upset and rising:
        push_after_commit(
            [active.expert.user_id],
            {"type": "mood.rising", "question_id": question.pk, "frustration": round(mood, 2)},
        )
    settings = routing_settings_for(question.brand_id)
    if mood >= settings.staff_alert_frustration and (previous or 0) < mood:
        staff_ids = question.brand.memberships.values_list("user_id", flat=True)
        push_after_commit(
            list(staff_ids),
            {"type": "mood.alert", "question_id": question.pk, "frustration": round(mood, 2)},
        )
        event_record(
            name="question.upset",
            brand_id=question.brand_id,
            payload={"question_id": question.pk, "frustration": round(mood, 3)},
        )


def knowledge_entry_create(
    *,
    brand: Brand,
    question: str,
    answer: str,
    actor: Any,
    product_id: int | None = None,
    source: str = "faq",
    is_published: bool = True,
    phrasings: list[str] | None = None,
) -> Any:
    """Add an FAQ entry (or an approved expert answer) the AI line may quote; ``phrasings``
    are other ways customers ask its question, matched as well."""
    from routing.models import KnowledgeEntry
    from routing.services.knowledge_base import knowledge_entry_validate, knowledge_phrasings_clean

    if source not in KnowledgeEntry.Source.values:
        raise ApplicationError(
            _("The entry could not be saved; see the fields."),
            fields={"source": [_("Use faq or expert.")]},
        )
    product = knowledge_entry_validate(
        brand=brand, question=question, answer=answer, product_id=product_id, phrasings=phrasings
    )
    with transaction.atomic():
        entry = KnowledgeEntry.objects.create(
            brand=brand,
            product=product,
            question=question.strip(),
            answer=answer.strip(),
            phrasings=knowledge_phrasings_clean(question, phrasings)[0],
            source=source,
            is_published=is_published,
        )
        audit_record(actor=actor, action="knowledge.created", target=entry, brand_id=brand.pk)
    return entry


def routing_settings_update(*, brand: Brand, actor: Any, **changes: Any) -> Any:
    """Change a brand's routing knobs; audit-logged with before and after."""
    from routing.scoring import DEFAULT_WEIGHTS
    from routing.selectors import routing_settings_for

    errors: dict[str, list[str]] = {}
    limits = {
        "offer_timeout_seconds": (10, 600),
        "broadcast_size": (1, 10),
        "max_attempts": (1, 50),
        "sla_minutes": (1, 24 * 60),
        "fairness_cap_per_hour": (1, 500),
        "missed_offers_before_away": (1, 20),
        "surge_after_minutes": (0, 24 * 60),
    }
    for name, (low, high) in limits.items():
        if name in changes and not low <= int(changes[name]) <= high:
            errors[name] = [_("Between %(low)d and %(high)d.") % {"low": low, "high": high}]
    if (
        "staff_alert_frustration" in changes
        and not 0 < float(changes["staff_alert_frustration"]) <= 1
    ):
        errors["staff_alert_frustration"] = [_("A frustration score above 0 and at most 1.")]
    if "step_waits" in changes:
        waits = changes["step_waits"]
        if len(waits) != 3 or any(not 0 <= int(w) <= 3600 for w in waits):
            errors["step_waits"] = [_("Three waits in seconds (0 to 3600), for steps 1, 2 and 3.")]
    if "weights" in changes:
        unknown = sorted(set(changes["weights"]) - set(DEFAULT_WEIGHTS))
        negative = sorted(k for k, v in changes["weights"].items() if float(v) < 0)
        if unknown or negative:
            errors["weights"] = [
                _("Known factors: %(factors)s; weights are zero or more.")
                % {"factors": ", ".join(DEFAULT_WEIGHTS)}
            ]
    if errors:
        raise ApplicationError(_("Some routing settings are out of range."), fields=errors)
    with transaction.atomic():
        settings = routing_settings_for(brand.pk)
        before = {name: getattr(settings, name) for name in changes}
        for name, value in changes.items():
            setattr(settings, name, value)
        settings.save()
        audit_record(
            actor=actor,
            action="routing.settings_changed",
            target=settings,
            brand_id=brand.pk,
            data={"before": before, "after": changes},
        )
    return settings
