"""A customer's data rights (export, erasure) and brands' conversation retention.

Decisions, in one place (the privacy page says the same in plain words):

- **Export** is what the customer herself can already see: her account, her questions with
  the whole conversation as she saw it (her own words unredacted, experts' and staff's
  replies as sent), her ratings and her tone-analysis choice. Internal staff notes, other
  people's email addresses and the score breakdowns of routing are never in it.
- **Erasure** anonymises instead of deleting rows. Questions, messages and ratings are the
  brand's service record and the experts' work (earnings were booked on them), and the
  audit log and the ledger point at the account, so the account row stays, deactivated,
  with a placeholder address and no password. Her words become ``ERASED``; the questions
  lose ``asked_by``, their contact email and the returning-customer chain
  (``asked_before_at``/``asked_again_at``): her questions then count as anonymous ones,
  so volumes, CSAT and SLA figures do not move, and the returning-customer figures no longer
  count her. Rating scores and tone scores stay, unlinked from her (they are the experts'
  record: their quality scores, sentiment lift and empathy fit were computed from them);
  rating comments go. Webhook messages about her questions, sent or waiting, keep their
  ids and times and lose the text.
- **Experts and staff** are refused: an expert's earnings and payouts are money records the
  law says we keep, and her work belongs to the brand's records, so the privacy contact
  closes such an account with the brand by hand. Staff must first be taken off the brand's
  staff by an owner (a brand must never lose its last owner by accident).
- **Retention** replaces the text of resolved conversations older than the brand's setting
  with ``EXPIRED`` (in the webhook log too) and keeps every figure (scores, times, statuses,
  the ledger).
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError, ConflictError
from gigcx.models import User
from integrations.services import webhook_payloads_scrub
from marketplace.models import Brand, BrandMembership, Expert
from payments.models import Payout, Posting
from quality.models import Rating
from routing.models import CopilotDraft, InternalNote, Message, Presence, Question
from voice.models import Call, CallbackSlot

logger = logging.getLogger(__name__)

ERASED = "[removed at the customer's request]"
EXPIRED = "[deleted after the brand's retention period]"
EXPORT_FORMAT = "gigcx-export/1"


# ---------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------
def _author_label(message: Message) -> str:
    if message.role == Message.Role.CUSTOMER:
        return "you"
    if message.role == Message.Role.EXPERT and message.author is not None:
        profile = getattr(message.author, "expert_profile", None)
        return (profile.display_name if profile else "") or message.author.display_name
    return Message.Role(message.role).label


def account_export(*, user: User) -> dict[str, Any]:
    """Everything GigCX holds about a customer, as she could see it. A fixed number of
    queries whatever the number of questions (tests/privacy pins it)."""
    emails = list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))
    two_factor = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    messages = Message.objects.select_related("author__expert_profile").order_by("created_at", "pk")
    questions = list(
        Question.objects.filter(asked_by=user)
        .select_related("brand", "product")
        .prefetch_related(Prefetch("messages", queryset=messages))
        .order_by("created_at", "pk")
    )
    ratings = {
        rating.question_id: rating
        for rating in Rating.objects.filter(question__asked_by=user).order_by("created_at")
    }
    # Calls keep no words and no audio: when, how long, with whom, and her rating.
    calls = list(
        Call.objects.filter(customer=user)
        .select_related("expert__user__expert_profile")
        .order_by("requested_at", "pk")
    )
    callbacks = list(CallbackSlot.objects.filter(customer=user).order_by("starts_at", "pk"))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "joined_at": user.date_joined.isoformat(),
            "last_login_at": user.last_login.isoformat() if user.last_login else None,
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary} for e in emails
            ],
            "two_factor_enabled": two_factor,
        },
        "consents": {
            # Her standing choice, prefilled on the next ask; each question keeps its own.
            "tone_analysis": user.tone_analysis,
        },
        "questions": [_question_export(q, user=user, rating=ratings.get(q.pk)) for q in questions],
        "ratings": [_rating_export(r) for r in ratings.values()],
        "calls": [
            {
                "question_id": call.question_id,
                "status": call.status,
                "requested_at": call.requested_at.isoformat(),
                "connected_at": call.connected_at.isoformat() if call.connected_at else None,
                "ended_at": call.ended_at.isoformat() if call.ended_at else None,
                "duration_seconds": call.duration_seconds,
                "expert": call.expert.display_name if call.expert else None,
                "rating": call.rating,
            }
            for call in calls
        ],
        "callbacks": [
            {
                "question_id": slot.question_id,
                "starts_at": slot.starts_at.isoformat(),
                "status": slot.status,
                "booked_at": slot.created_at.isoformat(),
            }
            for slot in callbacks
        ],
    }


def _question_export(question: Question, *, user: User, rating: Rating | None) -> dict[str, Any]:
    return {
        "id": question.pk,
        "brand": {"slug": question.brand.slug, "name": question.brand.name},
        "product": question.product.name if question.product else None,
        "asked_at": question.created_at.isoformat(),
        "resolved_at": question.resolved_at.isoformat() if question.resolved_at else None,
        "status": question.status,
        "body": question.body,
        "contact_email": question.contact_email or None,
        "preference": question.preference,
        "tone_analysis": question.tone_analysis,
        # Tone scores are computed from her words: hers to see (None when she opted out).
        "frustration": question.frustration,
        "urgency": question.urgency,
        "language": question.language,
        "messages": [
            {
                "at": m.created_at.isoformat(),
                "role": m.role,
                "from": _author_label(m),
                "body": m.body,
                "frustration": m.frustration if m.role == Message.Role.CUSTOMER else None,
            }
            for m in question.messages.all()
        ],
        "rating_id": rating.pk if rating else None,
    }


def _rating_export(rating: Rating) -> dict[str, Any]:
    return {
        "id": rating.pk,
        "question_id": rating.question_id,
        "score": rating.score,
        "solved": rating.solved,
        "comment": rating.comment,
        "rated_at": rating.created_at.isoformat(),
        "reopened_at": rating.reopened_at.isoformat() if rating.reopened_at else None,
    }


# ---------------------------------------------------------------------------------------
# Erasure
# ---------------------------------------------------------------------------------------
def account_erase_refusal(*, user: User) -> ConflictError | None:
    """Why this account cannot erase itself (staff, expert), or None when it can."""
    staff_of = list(BrandMembership.objects.filter(user=user).values_list("brand__name", flat=True))
    if staff_of:
        return ConflictError(
            gettext(
                "You are on the staff of %(brands)s. Ask an owner to take you off the staff "
                "first (an owner hands the brand to another owner), then delete the account."
            )
            % {"brands": ", ".join(staff_of)},
            code="account_is_staff",
        )
    experts = list(
        Expert.objects.filter(user=user)
        .select_related("brand")
        .annotate(
            has_postings=Exists(Posting.objects.filter(account__expert_id=OuterRef("pk"))),
            has_payouts=Exists(Payout.objects.filter(expert_id=OuterRef("pk"))),
        )
    )
    if not experts:
        return None
    brands = ", ".join(e.brand.name for e in experts)
    if any(e.has_postings or e.has_payouts for e in experts):
        message = gettext(
            "You are an expert at %(brands)s. Your earnings and payouts are money records that "
            "accounting law requires us to keep, and your answers belong to the brand's records, "
            "so this account cannot be deleted here. Write to %(email)s: we close it with the "
            "brand and anonymise everything the law lets us."
        )
    else:
        message = gettext(
            "You are an expert at %(brands)s. Your answers and scores belong to the brand's "
            "records, so this account cannot be deleted here. Write to %(email)s: we close it "
            "with the brand and anonymise everything the law lets us."
        )
    return ConflictError(
        message % {"brands": brands, "email": settings.GIGCX_PRIVACY_EMAIL},
        code="account_is_expert",
    )


def account_erase_validate(*, user: User, confirm: str) -> None:
    """Check the confirmation (her email address or her password), then that the account is
    one a customer may erase herself. Raises ApplicationError saying what to do instead."""
    typed = (confirm or "").strip()
    email_ok = bool(typed) and hmac.compare_digest(typed.lower(), user.email.lower())
    if not email_ok and not (typed and user.has_usable_password() and user.check_password(typed)):
        raise ApplicationError(
            gettext("To delete the account, type its email address or its password exactly."),
            code="confirmation_mismatch",
            fields={
                "confirm": [
                    gettext("This is neither the account's email address nor its password.")
                ]
            },
        )
    refusal = account_erase_refusal(user=user)
    if refusal is not None:
        raise refusal


def account_erase(*, user: User, confirm: str, ip: str | None = None) -> dict[str, int]:
    """Erase a customer's account (see the module docstring). Returns what was anonymised."""
    account_erase_validate(user=user, confirm=confirm)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise ConflictError(
                gettext("This account has already been deleted."), code="already_erased"
            )
        email = user.email
        questions = Question.objects.filter(asked_by=user)
        question_ids = list(questions.values_list("pk", flat=True))
        counts = {
            "questions": len(question_ids),
            "messages": Message.objects.filter(
                question_id__in=question_ids, role=Message.Role.CUSTOMER
            ).update(body=ERASED, redacted_body=ERASED),
            "ratings": Rating.objects.filter(question_id__in=question_ids).update(
                comment="", redacted_comment=""
            ),
        }
        # Copilot drafts answer her messages and may quote them.
        CopilotDraft.objects.filter(question_id__in=question_ids).update(body=ERASED)
        Question.objects.filter(pk__in=question_ids).update(
            asked_by=None,
            body=ERASED,
            redacted_body=ERASED,
            contact_email="",
            access_token_hash="",
            asked_before_at=None,
            asked_again_at=None,
        )
        # Webhook messages about her questions carry their (redacted) text.
        scrubbed = webhook_payloads_scrub(question_ids=question_ids, text=ERASED)
        # Questions she asked signed out, giving the same address: the address goes.
        counts["contact_emails"] = Question.objects.filter(contact_email__iexact=email).update(
            contact_email=""
        )
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        Presence.objects.filter(user=user).delete()
        user.email = f"erased-{user.pk}@erased.invalid"
        user.name = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        # A new password hash ends every session: Django checks it on each request.
        user.set_unusable_password()
        user.save()
        audit_record(
            actor=None,
            action="account.erased",
            target=user,
            data={"user_id": user.pk, **counts, "webhook_messages": scrubbed},
            ip=ip,
        )
    logger.info("account %s erased (%d questions)", user.pk, counts["questions"])
    return counts


# ---------------------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------------------
def conversations_expired_purge(*, now: datetime | None = None) -> dict[int, int]:
    """Replace the text of resolved conversations older than each brand's retention setting
    with ``EXPIRED``. Every figure stays: statuses, times, tone scores, rating scores, the
    ledger. Safe to run twice or at once on several machines: each UPDATE only touches rows
    that still hold text, so a second run finds nothing. Returns {brand id: questions}."""
    now = now or timezone.now()
    purged: dict[int, int] = {}
    brands = Brand.objects.filter(conversation_retention_days__isnull=False).only(
        "pk", "conversation_retention_days"
    )
    for brand in brands:
        cutoff = now - timedelta(days=brand.conversation_retention_days)
        due = Question.objects.filter(
            brand_id=brand.pk, status=Question.Status.RESOLVED, resolved_at__lt=cutoff
        )
        with transaction.atomic():
            ids = list(due.exclude(body=EXPIRED).values_list("pk", flat=True))
            ids_all = due.values("pk")
            Message.objects.filter(question_id__in=ids_all).exclude(body=EXPIRED).update(
                body=EXPIRED, redacted_body=EXPIRED
            )
            InternalNote.objects.filter(question_id__in=ids_all).exclude(body=EXPIRED).update(
                body=EXPIRED
            )
            CopilotDraft.objects.filter(question_id__in=ids_all).exclude(body=EXPIRED).update(
                body=EXPIRED
            )
            Rating.objects.filter(question_id__in=ids_all).filter(
                ~Q(comment="") | ~Q(redacted_comment="")
            ).update(comment="", redacted_comment="")
            webhook_payloads_scrub(question_ids=ids, text=EXPIRED)
            count = (
                Question.objects.filter(pk__in=ids)
                .exclude(body=EXPIRED)
                .update(body=EXPIRED, redacted_body=EXPIRED, contact_email="")
            )
            if count:
                audit_record(
                    actor=None,
                    action="brand.conversations_expired",
                    target=brand,
                    brand_id=brand.pk,
                    data={"questions": count, "days": brand.conversation_retention_days},
                )
        if count:
            purged[brand.pk] = count
    return purged
