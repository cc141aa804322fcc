"""Presence and load: going online, heartbeats, availability windows and the capacity counter.

The window rule (what the console tells the expert, in her words):

* Going online while one of her weekly availability windows is open puts her online *on her
  schedule*: ``Presence.window_ends_at`` holds that window's end. Routing stops offering at
  that instant (the candidate query compares the column, no extra query per expert) and the
  sweep sets her away, marked ``away_by_schedule``.
* Going online outside every window, or with no windows at all, puts her online *by hand*
  (``window_ends_at`` is null): she stays online, windows or not, until she goes away or
  offline or her console stops sending heartbeats (``HEARTBEAT_FRESH``). So a click after a
  window ended keeps her working as long as she likes.
* While she is away because a window ended, a heartbeat from her open console inside her
  next window brings her back online on that window. Going away or offline herself, or a
  lapsed heartbeat, clears the mark: nothing brings her back but her own click.
* Windows are read in her profile's time zone (``marketplace.availability``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gigcx.exceptions import ApplicationError
from marketplace.availability import user_windows, window_end_at
from marketplace.models import Expert, ExpertSkill
from routing.models import Presence

# Stored in English on the presence; the console shows them in the page's language
# (routing_tags.presence_reason), so they are only marked here.
WINDOW_ENDED = gettext_noop(
    "Your availability window ended, so we set you away. Go online to keep taking questions "
    "(you then stay online until you go offline); with the console open, your next window "
    "brings you back by itself."
)
CONSOLE_SILENT = gettext_noop(
    "Your console stopped checking in (closed tab or lost connection), so we set you away. "
    "Go online again when you are back."
)


def presence_for(user: Any) -> Presence:
    profile = getattr(user, "expert_profile", None)
    presence, _created = Presence.objects.get_or_create(
        user=user, defaults={"capacity": profile.capacity if profile else 2}
    )
    return presence


def on_duty_sync(user_ids: Iterable[int]) -> None:
    """Copy whether each of these experts is online onto her ``Expert.on_duty`` and
    ``ExpertSkill.on_duty`` (every brand), which routing's walks read. Call it after changing
    a presence's status, in the same transaction.

    Marking on duty is always safe (the walk still checks the presence); marking off duty is
    not, if she went online meanwhile. So the presences are read under a row lock: a status
    change that races this one waits for it and then runs its own sync."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    with transaction.atomic():
        statuses = dict(
            Presence.objects.select_for_update()
            .filter(user_id__in=ids)
            .order_by("user_id")
            .values_list("user_id", "status")
        )
        online = [u for u in ids if statuses.get(u) == Presence.Status.ONLINE]
        offline = [u for u in ids if statuses.get(u) != Presence.Status.ONLINE]
        for users, on_duty in ((online, True), (offline, False)):
            if not users:
                continue
            experts = Expert.objects.filter(user_id__in=users)
            experts.exclude(on_duty=on_duty).update(on_duty=on_duty)
            ExpertSkill.objects.filter(expert__in=experts.values("pk")).exclude(
                on_duty=on_duty
            ).update(on_duty=on_duty)


def presence_window_end(*, user: Any, at: datetime) -> datetime | None:
    """The end of the availability window holding ``at`` for this expert, or None (one query)."""
    windows, zone = user_windows(user.pk)
    return window_end_at(windows, zone, at)


@transaction.atomic
def presence_set(*, user: Any, status: str, reason: str = "") -> Presence:
    """Go online, away or offline. Going online enqueues routing of waiting questions and
    starts her on her schedule or by hand (the module docstring has the rule)."""
    if status not in Presence.Status.values:
        raise ApplicationError(
            _("Unknown status “%(status)s”; use online, away or offline.") % {"status": status},
            fields={"status": [_("Use online, away or offline.")]},
        )
    if (
        status == Presence.Status.ONLINE
        and not Expert.objects.approved().filter(user=user).exists()
    ):
        raise ApplicationError(
            _("Only approved experts can go online. Your application may still be in review."),
            code="not_an_expert",
        )
    presence = presence_for(user)
    profile = getattr(user, "expert_profile", None)
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": status,
        "status_reason": reason,
        "window_ends_at": None,
        "away_by_schedule": False,
    }
    if status == Presence.Status.ONLINE:
        changes.update(
            last_heartbeat_at=now,
            missed_offers=0,
            window_ends_at=presence_window_end(user=user, at=now),
        )
        if profile is not None and profile.capacity >= presence.active:
            changes["capacity"] = profile.capacity
    Presence.objects.filter(pk=presence.pk).update(**changes)
    on_duty_sync([presence.user_id])
    presence.refresh_from_db()
    if status == Presence.Status.ONLINE:
        from routing.tasks import route_waiting_soon

        route_waiting_soon()
    return presence


def presence_heartbeat(*, user: Any) -> Presence:
    """Keep an online expert fresh. A heartbeat does not bring back an expert set away, except
    one set away by the end of a window when another window is open now: she comes back
    online on that window and waiting questions are routed."""
    presence = presence_for(user)
    now = timezone.now()
    Presence.objects.filter(pk=presence.pk).update(last_heartbeat_at=now)
    if presence.status == Presence.Status.AWAY and presence.away_by_schedule:
        ends = presence_window_end(user=user, at=now)
        if ends is not None:
            back = Presence.objects.filter(
                pk=presence.pk, status=Presence.Status.AWAY, away_by_schedule=True
            ).update(
                status=Presence.Status.ONLINE,
                status_reason="",
                window_ends_at=ends,
                away_by_schedule=False,
                missed_offers=0,
            )
            if back:
                from routing.tasks import route_waiting_soon

                on_duty_sync([presence.user_id])

                transaction.on_commit(route_waiting_soon)
    presence.refresh_from_db()
    return presence


def capacity_claim(*, user_id: int) -> bool:
    """Take one slot; True only when a slot was free. Relative and conditional: two racing
    claims can never both take the last slot (RELIABILITY finding 0.1)."""
    return (
        Presence.objects.filter(user_id=user_id, active__lt=F("capacity")).update(
            active=F("active") + 1, last_assigned_at=timezone.now(), missed_offers=0
        )
        == 1
    )


def capacity_release(*, user_id: int) -> None:
    Presence.objects.filter(user_id=user_id, active__gt=0).update(active=F("active") - 1)


def presences_expire_stale() -> int:
    """Online experts whose console stopped sending heartbeats are set away (and told why)."""
    from routing.models import HEARTBEAT_FRESH

    cutoff = timezone.now() - HEARTBEAT_FRESH
    stale = Presence.objects.filter(status=Presence.Status.ONLINE, last_heartbeat_at__lt=cutoff)
    with transaction.atomic():
        user_ids = list(stale.values_list("user_id", flat=True))
        expired = stale.filter(user_id__in=user_ids).update(
            status=Presence.Status.AWAY,
            window_ends_at=None,
            away_by_schedule=False,
            status_reason=CONSOLE_SILENT,
        )
        on_duty_sync(user_ids)
    return expired


def presences_close_windows() -> int:
    """Experts online on their schedule whose window has ended are set away, marked so that
    their next window brings them back. Routing already stopped offering at the window's end;
    this makes the console say so (a live ``presence.away`` after commit). Idempotent: a
    second run finds nobody."""
    from routing.live import push_after_commit

    ended = Presence.objects.filter(
        status=Presence.Status.ONLINE, window_ends_at__lte=timezone.now()
    )
    user_ids = list(ended.values_list("user_id", flat=True)[:500])
    if not user_ids:
        return 0
    with transaction.atomic():
        closed = ended.filter(user_id__in=user_ids).update(
            status=Presence.Status.AWAY,
            status_reason=WINDOW_ENDED,
            window_ends_at=None,
            away_by_schedule=True,
        )
        on_duty_sync(user_ids)
    push_after_commit(user_ids, {"type": "presence.away"})
    return closed
