"""Emails routing sends. They carry links and ids, never the customer's text."""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from gigcx.dispatch import enqueue_on_commit
from gigcx.events import subscribe
from gigcx.i18n import language_for, supported
from gigcx.models import DomainEvent
from marketplace.models import BrandMembership
from routing.models import Assignment, Question
from routing.system_texts import escalation_reason_text

logger = logging.getLogger(__name__)


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send(template: str, context: dict[str, object], recipients: list[str], language: str) -> None:
    """One email to ``recipients``, written in ``language``."""
    if not recipients:
        return
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        body = render_to_string(f"emails/{template}_body.txt", context)
    send_mail(subject, body, None, recipients)


def _link_fernet() -> Fernet:
    digest = hashlib.sha256(f"gigcx.question_link:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def question_link_seal(token: str) -> str:
    """The private-link token encrypted for the task message that mails it.

    The link is mailed by a worker (routing.send_question_link), so the token travels in a
    broker message. Only its hash is in the database, and the plain token must not sit in
    Redis either: the broker is not a secret store, and a message's arguments are copied
    into logs and, when a task runs out of deliveries, into the dead-letter table. Sealed
    with a key derived from SECRET_KEY, which the broker never holds, the message is of no
    use to whoever reads it; the worker opens it, mails the link and keeps nothing.
    """
    return _link_fernet().encrypt(token.encode()).decode()


def question_link_send_sealed(*, question_id: int, sealed_token: str, language: str) -> None:
    """Mail the private link whose token :func:`question_link_seal` sealed (the task's body).

    ``language`` is the language of the page she asked on (the request's, passed along:
    a worker has no request); the question's own language wins once triage has read it.
    """
    question = Question.objects.select_related("brand").filter(pk=question_id).first()
    if question is None:
        return
    try:
        token = _link_fernet().decrypt(sealed_token.encode()).decode()
    except InvalidToken:
        # Only a changed SECRET_KEY gets here: the link cannot be rebuilt from the hash.
        logger.error("question %s: private link not mailed, sealed token invalid", question_id)
        return
    question_link_send(question=question, token=token, language=language)


def question_link_send(*, question: Question, token: str, language: str = "") -> None:
    """Mail an anonymous asker the private link to their conversation (called after commit)."""
    # The token rides in the fragment, which browsers never send: it stays out of every
    # access log, proxy and Referer (the page posts it once and forgets the address).
    url = _site(reverse("routing:question-private", kwargs={"question_id": question.pk}))
    url = f"{url}#t={token}"
    # In the language she asked in: the question's own (once triage has read it), else the
    # language of the page she asked on (``language``, else the one active here).
    chosen = (
        supported(question.language) or supported(language) or supported(translation.get_language())
    )
    _send(
        "question_link",
        {"brand": question.brand.name, "url": url},
        [question.contact_email],
        chosen or language_for(brand=question.brand),
    )


@subscribe("question.escalated", name="routing.email_staff_on_escalation")
def escalation_email_staff(event: DomainEvent) -> None:
    question = (
        Question.objects.select_related("brand").filter(pk=event.payload["question_id"]).first()
    )
    if question is None:
        return
    members = (
        BrandMembership.objects.filter(
            brand=question.brand, user__is_active=True, notify_escalation_email=True
        )
        .exclude(role=BrandMembership.Role.QA)
        .select_related("user")
    )
    # Each member reads it in her own language: one email per language.
    by_language: dict[str, list[str]] = {}
    for member in members:
        language = language_for(user=member.user, brand=question.brand)
        by_language.setdefault(language, []).append(member.user.email)
    url = _site(reverse("routing:question", kwargs={"question_id": question.pk}))
    context = {
        "brand": question.brand.name,
        "question_id": question.pk,
        "url": url,
    }
    reason = str(event.payload.get("reason", ""))  # stored in English (routing.system_texts)
    for language, addresses in by_language.items():
        with translation.override(language):
            translated = escalation_reason_text(reason)
        _send("escalation", {**context, "reason": translated}, addresses, language)
    recipients = [address for addresses in by_language.values() for address in addresses]
    logger.info("question %s escalated: mailed %d staff", question.pk, len(recipients))


@subscribe("question.offered", name="routing.email_experts_on_offer")
def offer_email_experts(event: DomainEvent) -> None:
    """Queue an offer email for each offered expert who asked for them (after commit; the
    task decides: console on screen, throttle, once per offer)."""
    from routing.tasks import send_offer_email

    offer_ids = Assignment.objects.filter(
        question_id=event.payload["question_id"],
        expert_id__in=event.payload.get("expert_ids", []),
        step=event.payload.get("step"),
        status=Assignment.Status.OFFERED,
        email_decided_at__isnull=True,
        expert__user__expert_profile__notify_offers_email=True,
    ).values_list("pk", flat=True)
    for offer_id in offer_ids:
        enqueue_on_commit(send_offer_email, offer_id)
