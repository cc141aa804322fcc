"""Offer emails: an expert who opted in (``ExpertProfile.notify_offers_email``) hears of a new
offer by email, in her language.

The route: the offer commits with a ``question.offered`` outbox event; its subscriber
(``routing.notifications``) enqueues :func:`offer_email_send` per opted-in expert after
commit, so nothing here runs inside the routing lock. The rules, in order:

* the offer must still be open, and she must still have opted in;
* not while she is watching the console: the console heartbeats only while its page is
  visible (``static/js/live.js``), so a heartbeat younger than ``CONSOLE_WATCHING`` means she
  sees the offer on screen already (one indexed row, no channel-layer round trip);
* once per offer: the offer row is claimed by a conditional update before anything is sent,
  so a redelivered task finds it claimed and sends nothing (at most once, never twice);
* at most one offer email per expert per ``OFFER_EMAIL_EVERY`` (5 minutes), claimed the same
  way on her profile. Offers inside the window are skipped, not queued: an offer lasts about a
  minute, so a late email would point at an offer already gone. The next email that does go
  out says how many other offers are open for her in the console right then ("and N more").
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timeuntil

from gigcx.i18n import language_for
from marketplace.models import ExpertProfile
from routing.models import Assignment, Presence

logger = logging.getLogger(__name__)

OFFER_EMAIL_EVERY = timedelta(minutes=5)
# The console heartbeats every 20 s while its page is visible; a heartbeat younger than this
# means the page was on screen a moment ago.
CONSOLE_WATCHING = timedelta(seconds=30)


def expert_watching_console(*, user_id: int, now: datetime | None = None) -> bool:
    """Whether the expert had her console on screen a moment ago (see the module docstring)."""
    now = now or timezone.now()
    return Presence.objects.filter(
        user_id=user_id,
        status=Presence.Status.ONLINE,
        last_heartbeat_at__gt=now - CONSOLE_WATCHING,
    ).exists()


def _first_line(text: str, limit: int = 140) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _claim(assignment_id: int, profile_id: int, now: datetime) -> bool:
    """Claim the offer, then the expert's throttle window. False when either is taken (the
    offer stays claimed: it was decided, and it is skipped)."""
    with transaction.atomic():
        claimed = Assignment.objects.filter(pk=assignment_id, email_decided_at__isnull=True).update(
            email_decided_at=now
        )
        if claimed != 1:
            return False
    window = ExpertProfile.objects.filter(pk=profile_id).filter(
        Q(offer_email_sent_at__isnull=True) | Q(offer_email_sent_at__lte=now - OFFER_EMAIL_EVERY)
    )
    return window.update(offer_email_sent_at=now) == 1


def offer_email_send(*, assignment_id: int) -> bool:
    """Email the expert about one offer if the rules above allow. Returns True when sent."""
    assignment = (
        Assignment.objects.select_related(
            "question__brand", "question__product", "expert__user__expert_profile"
        )
        .filter(pk=assignment_id)
        .first()
    )
    now = timezone.now()
    if (
        assignment is None
        or assignment.status != Assignment.Status.OFFERED
        or assignment.expires_at <= now
        or assignment.email_decided_at is not None
    ):
        return False
    user = assignment.expert.user
    profile = getattr(user, "expert_profile", None)
    if profile is None or not profile.notify_offers_email or not user.is_active or not user.email:
        return False
    if expert_watching_console(user_id=user.pk, now=now):
        return False
    if not _claim(assignment.pk, profile.pk, now):
        logger.info("offer %s: email skipped (already sent or throttled)", assignment.pk)
        return False
    question = assignment.question
    others = (
        Assignment.objects.filter(
            expert__user_id=user.pk, status=Assignment.Status.OFFERED, expires_at__gt=now
        )
        .exclude(pk=assignment.pk)
        .count()
    )
    with translation.override(language_for(user=user, brand=question.brand)):
        context = {
            "brand": question.brand.name,
            "product": question.product.name if question.product else "",
            "first_line": _first_line(question.expert_text),
            "lasts": timeuntil(assignment.expires_at, assignment.offered_at).replace("\xa0", " "),
            "others": others,
            "url": settings.SITE_URL.rstrip("/") + reverse("routing:expert-console"),
        }
        subject = render_to_string("emails/offer_subject.txt", context).strip()
        body = render_to_string("emails/offer_body.txt", context)
    send_mail(subject, body, None, [user.email])
    logger.info("offer %s: emailed expert %s", assignment.pk, user.pk)
    return True
