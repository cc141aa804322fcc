"""Surge staffing: when a brand's waiting queue outgrows the free slots of its online experts
for longer than ``RoutingSettings.surge_after_minutes``, the experts who opted in to surge
alerts (``ExpertProfile.notify_surge_alerts``) and are not online are invited, once per
surge, by a live (browser) notification and an email, showing any surge bonus of the rate
card in force. Payments books that bonus for questions the invited experts resolve while the
surge lasts (``payments.services.earning_surge_bonus_book``).

``staffing_watch`` is the whole state machine, run for each brand by the beat task
``routing.watch_staffing``: watching -> active (invited) -> ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from gigcx.audit import audit_record
from gigcx.i18n import language_for
from marketplace.models import Brand, Expert
from routing.live import push_after_commit
from routing.models import (
    HEARTBEAT_FRESH,
    Presence,
    Question,
    StaffingSurge,
    StaffingSurgeInvite,
)
from routing.selectors import routing_settings_for

logger = logging.getLogger(__name__)

WORKING = (Expert.Status.APPROVED, Expert.Status.PROBATION)

# Payments (above routing) tells what bonus a brand's rate card in force pays per question
# resolved in a surge: (amount in minor units, currency, how to show it). Registered from
# PaymentsConfig.ready, so routing never imports payments.
BonusProvider = Callable[[int], tuple[int, str, str]]
_bonus_providers: list[BonusProvider] = []


def surge_bonus_provider_register(provider: BonusProvider) -> None:
    if provider not in _bonus_providers:
        _bonus_providers.append(provider)


def surge_bonus_offered(brand_id: int) -> tuple[int, str, str]:
    """The surge bonus the brand pays now: (amount, currency, label), zeros when none."""
    for provider in _bonus_providers:
        amount, currency, label = provider(brand_id)
        if amount:
            return amount, currency, label
    return 0, "", ""


def brand_free_slots(*, brand_id: int, now: datetime | None = None) -> int:
    """Free slots of the brand's working experts who are online now (fresh heartbeat, inside
    their window). An expert in several pools counts her free slots at each brand."""
    now = now or timezone.now()
    users = Expert.objects.filter(brand_id=brand_id, status__in=WORKING).values("user_id")
    free = 0
    for presence in Presence.objects.filter(
        user_id__in=users,
        status=Presence.Status.ONLINE,
        last_heartbeat_at__gt=now - HEARTBEAT_FRESH,
    ).filter(Q(window_ends_at__isnull=True) | Q(window_ends_at__gt=now)):
        free += max(0, presence.capacity - presence.active)
    return free


def _online_user_ids(brand_id: int, now: datetime) -> set[int]:
    users = Expert.objects.filter(brand_id=brand_id, status__in=WORKING).values("user_id")
    return set(
        Presence.objects.filter(
            user_id__in=users,
            status=Presence.Status.ONLINE,
            last_heartbeat_at__gt=now - HEARTBEAT_FRESH,
        ).values_list("user_id", flat=True)
    )


def staffing_watch(*, brand_id: int, now: datetime | None = None) -> StaffingSurge | None:
    """One look at the brand's queue. Opens a ``watching`` surge when more questions wait
    than there are free slots, invites when that has lasted the brand's setting, marks the
    invited experts who came online, and ends the surge when the queue fits again.
    Idempotent and safe to run concurrently (one open surge per brand is a constraint; the
    invitation is claimed with a conditional update). Returns the brand's open or just-ended
    surge, or None."""
    now = now or timezone.now()
    settings = routing_settings_for(brand_id)
    waiting = Question.objects.filter(brand_id=brand_id, status=Question.Status.WAITING).count()
    free = brand_free_slots(brand_id=brand_id, now=now)
    surge = (
        StaffingSurge.objects.filter(brand_id=brand_id)
        .exclude(status=StaffingSurge.Status.ENDED)
        .first()
    )
    over = settings.surge_after_minutes > 0 and waiting > free
    if surge is not None:
        _mark_answered(surge, now)
    if not over:
        if surge is None:
            return None
        StaffingSurge.objects.filter(pk=surge.pk).exclude(status=StaffingSurge.Status.ENDED).update(
            status=StaffingSurge.Status.ENDED, ended_at=now
        )
        if surge.status == StaffingSurge.Status.ACTIVE:
            audit_record(actor=None, action="staffing_surge.ended", target=surge, brand_id=brand_id)
        surge.refresh_from_db()
        return surge
    if surge is None:
        try:
            with transaction.atomic():
                surge = StaffingSurge.objects.create(
                    brand_id=brand_id,
                    started_at=now,
                    peak_waiting=waiting,
                    free_slots_at_start=free,
                )
        except IntegrityError:  # another run opened it a moment ago
            surge = (
                StaffingSurge.objects.filter(brand_id=brand_id)
                .exclude(status=StaffingSurge.Status.ENDED)
                .first()
            )
            if surge is None:
                return None
    elif waiting > surge.peak_waiting:
        StaffingSurge.objects.filter(pk=surge.pk).update(peak_waiting=waiting)
        surge.peak_waiting = waiting
    lasted = now - surge.started_at >= timedelta(minutes=settings.surge_after_minutes)
    if surge.status == StaffingSurge.Status.WATCHING and lasted:
        staffing_invite(surge=surge, now=now)
        surge.refresh_from_db()
    return surge


def staffing_invite(*, surge: StaffingSurge, now: datetime | None = None) -> int:
    """Invite the brand's opted-in experts who are not online, once per surge: the surge is
    claimed (watching -> active) by one conditional update, and each invitation is a row
    unique per surge and expert. Pushes and emails after commit. Returns how many invited."""
    now = now or timezone.now()
    bonus, currency, label = surge_bonus_offered(surge.brand_id)
    online = _online_user_ids(surge.brand_id, now)
    experts = list(
        Expert.objects.filter(
            brand_id=surge.brand_id,
            status__in=WORKING,
            user__expert_profile__notify_surge_alerts=True,
            user__is_active=True,
        )
        .exclude(user_id__in=online)
        .select_related("user", "brand")
    )
    invited: list[Expert] = []
    with transaction.atomic():
        claimed = StaffingSurge.objects.filter(
            pk=surge.pk, status=StaffingSurge.Status.WATCHING
        ).update(
            status=StaffingSurge.Status.ACTIVE,
            invited_at=now,
            bonus_amount=bonus,
            currency=currency,
        )
        if claimed != 1:
            return 0
        for expert in experts:
            _, created = StaffingSurgeInvite.objects.get_or_create(
                surge=surge, expert=expert, defaults={"invited_at": now}
            )
            if created:
                invited.append(expert)
        audit_record(
            actor=None,
            action="staffing_surge.invited",
            target=surge,
            brand_id=surge.brand_id,
            data={"experts": [e.pk for e in invited], "bonus": bonus, "currency": currency},
        )
        brand = Brand.objects.get(pk=surge.brand_id)
        push_after_commit(
            [e.user_id for e in invited],
            {
                "type": "staffing.invite",
                "surge_id": surge.pk,
                "brand": brand.slug,
                "bonus": label,
            },
        )
        transaction.on_commit(lambda: _email(brand, invited, label))
    logger.info("staffing surge %s: %d experts invited", surge.pk, len(invited))
    return len(invited)


def _email(brand: Brand, experts: list[Expert], bonus: str) -> None:
    from django.conf import settings

    console = settings.SITE_URL.rstrip("/") + reverse("routing:expert-console")
    labels: dict[str, str] = {}
    for expert in experts:
        # In the expert's language, the bonus in its number format.
        language = language_for(user=expert.user, brand=brand)
        with translation.override(language):
            if bonus and language not in labels:
                labels[language] = surge_bonus_offered(brand.pk)[2] or bonus
            context = {
                "brand": brand.name,
                "name": expert.display_name,
                "url": console,
                "bonus": labels.get(language, bonus),
            }
            subject = render_to_string("emails/staffing_invite_subject.txt", context).strip()
            body = render_to_string("emails/staffing_invite_body.txt", context)
        try:
            send_mail(subject, body, None, [expert.user.email])
        except Exception:  # one bad address must not stop the others
            logger.warning("staffing invitation email to expert %s failed", expert.pk)


def _mark_answered(surge: StaffingSurge, now: datetime) -> None:
    """Invited experts who are online now answered the call (first time only)."""
    if surge.status != StaffingSurge.Status.ACTIVE:
        return
    online = _online_user_ids(surge.brand_id, now)
    if online:
        StaffingSurgeInvite.objects.filter(
            surge=surge, answered_at__isnull=True, expert__user_id__in=online
        ).update(answered_at=now)


def staffing_watch_all(*, now: datetime | None = None) -> int:
    """``staffing_watch`` for every brand with a waiting question or an open surge."""
    now = now or timezone.now()
    brands = set(
        Question.objects.filter(status=Question.Status.WAITING).values_list("brand_id", flat=True)
    ) | set(
        StaffingSurge.objects.exclude(status=StaffingSurge.Status.ENDED).values_list(
            "brand_id", flat=True
        )
    )
    for brand_id in sorted(brands):
        try:
            staffing_watch(brand_id=brand_id, now=now)
        except Exception:
            logger.exception("staffing watch failed for brand %s", brand_id)
    return len(brands)


def staffing_invite_covering(*, expert_id: int, at: datetime) -> StaffingSurgeInvite | None:
    """The invitation of a surge that was on (invited, not yet ended) at ``at`` for this
    expert: what makes a resolution earn the surge bonus."""
    return (
        StaffingSurgeInvite.objects.filter(
            expert_id=expert_id,
            surge__invited_at__lte=at,
        )
        .filter(Q(surge__ended_at__isnull=True) | Q(surge__ended_at__gt=at))
        .select_related("surge")
        .order_by("-surge__invited_at")
        .first()
    )


def staffing_surges_for_staff(*, surges: list[StaffingSurge]) -> list[StaffingSurge]:
    """The staff page's rows: each surge with its invitations (``surge.rows``: expert name,
    when invited, when she came online, questions she resolved while the surge lasted)."""
    from routing.models import Assignment

    invites = (
        StaffingSurgeInvite.objects.filter(surge__in=surges)
        .select_related("expert__user__expert_profile")
        .order_by("invited_at", "pk")
    )
    by_surge: dict[int, list[StaffingSurgeInvite]] = {}
    for invite in invites:
        by_surge.setdefault(invite.surge_id, []).append(invite)
    for surge in surges:
        rows = []
        for invite in by_surge.get(surge.pk, []):
            resolved = Assignment.objects.filter(
                expert_id=invite.expert_id,
                status=Assignment.Status.RESOLVED,
                ended_at__gte=surge.invited_at,
            )
            if surge.ended_at is not None:
                resolved = resolved.filter(ended_at__lte=surge.ended_at)
            rows.append(
                {
                    "expert": invite.expert.display_name,
                    "invited_at": invite.invited_at,
                    "answered_at": invite.answered_at,
                    "resolved": resolved.count(),
                }
            )
        surge.rows = rows  # type: ignore[attr-defined]
        surge.answered = sum(1 for row in rows if row["answered_at"])  # type: ignore[attr-defined]
    return surges
