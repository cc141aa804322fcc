"""The "how did we do?" email: a signed link to rate, sent when a question is resolved, and
one reminder a day later if it is still unrated.

The link carries the question id signed with the site's secret (salted for this use only),
so it rates that one question and nothing else: it reads nothing of the conversation. It
works for 30 days; a rating is still once per question, whichever way it arrives.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from gigcx.exceptions import NotFoundError
from gigcx.i18n import language_for, supported, user_language
from quality.models import Rating, RatingRequest
from routing.models import Question

logger = logging.getLogger(__name__)

SALT = "gigcx.quality.rate-link"
LINK_DAYS = 30
REMIND_AFTER = timedelta(hours=24)


def rate_link_token(question_id: int) -> str:
    return signing.dumps({"q": question_id}, salt=SALT, compress=True)


def rate_link_question(token: str) -> Question:
    """The question a link rates; NotFoundError for a forged, altered or expired one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=LINK_DAYS))
    except signing.BadSignature:
        raise NotFoundError(gettext("This rating link is not valid or has expired.")) from None
    question = Question.objects.select_related("brand").filter(pk=data.get("q")).first()
    if question is None:
        raise NotFoundError(gettext("This rating link is not valid or has expired."))
    return question


def _recipient(question: Question) -> str:
    if question.asked_by_id is not None:
        return question.asked_by.email
    return question.contact_email


def _language(question: Question) -> str:
    """The customer's own setting, else the language she asked in, else the brand's."""
    return (
        user_language(question.asked_by)
        or supported(question.language)
        or language_for(brand=question.brand)
    )


def _send(question: Question, *, reminder: bool) -> None:
    url = settings.SITE_URL.rstrip("/") + reverse(
        "quality:rate-by-link", kwargs={"token": rate_link_token(question.pk)}
    )
    context = {"brand": question.brand.name, "url": url, "reminder": reminder}
    with translation.override(_language(question)):
        subject = render_to_string("emails/rating_request_subject.txt", context).strip()
        body = render_to_string("emails/rating_request_body.txt", context)
    send_mail(subject, body, None, [_recipient(question)])


def rating_request_send(*, question_id: int, now: datetime | None = None) -> bool:
    """Ask the customer how it went (once per question). True when an email went out."""
    now = now or timezone.now()
    with transaction.atomic():
        question = (
            Question.objects.select_related("brand", "asked_by").filter(pk=question_id).first()
        )
        if question is None or question.status != Question.Status.RESOLVED:
            return False
        if not _recipient(question) or Rating.objects.filter(question=question).exists():
            return False
        _, created = RatingRequest.objects.get_or_create(
            question=question, defaults={"sent_at": now}
        )
        if not created:
            return False
        # Inside the transaction: if the mail server refuses, the request row rolls back and
        # the outbox delivers the event (and this email) again.
        _send(question, reminder=False)
    return True


def rating_reminders_send(*, now: datetime | None = None, limit: int = 200) -> int:
    """One reminder, a day after the first email, to customers who have not rated (beat)."""
    now = now or timezone.now()
    due = list(
        RatingRequest.objects.filter(
            reminded_at=None,
            sent_at__lte=now - REMIND_AFTER,
            sent_at__gt=now - timedelta(days=LINK_DAYS),
            question__status=Question.Status.RESOLVED,
        )
        .exclude(question__ratings__isnull=False)
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for request_id in due:
        with transaction.atomic():
            claimed = RatingRequest.objects.filter(pk=request_id, reminded_at=None).update(
                reminded_at=now
            )
            if not claimed:
                continue  # another beat got it
            request = RatingRequest.objects.select_related(
                "question__brand", "question__asked_by"
            ).get(pk=request_id)
            _send(request.question, reminder=True)
            sent += 1
    if sent:
        logger.info("rating reminders: %d sent", sent)
    return sent
