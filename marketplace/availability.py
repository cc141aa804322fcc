"""Weekly availability windows, read at a moment in time.

A window is a weekday plus a start and an end time on the expert's own wall clock
(``ExpertProfile.timezone``; the site's ``TIME_ZONE`` when the stored name is unknown). The
start is inside the window and the end is not, so 09:00-17:00 holds 09:00:00 and 16:59:59 but
not 17:00:00. Windows never cross midnight (the profile form refuses ``start >= end``); an
overnight shift is two windows. Local times are turned into instants with the zone's rules of
that very date, so a window keeps its wall-clock hours across daylight-saving changes; a wall
time skipped by spring-forward is read with the offset before the change (02:30 on that night
in Berlin is 03:30 summer time).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from django.conf import settings

Window = tuple[int, time, time]


def expert_zone(name: str | None) -> tzinfo:
    """The expert's zone, or the site's when none or an unknown one is stored."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _instant(day: datetime, at: time, zone: tzinfo) -> datetime:
    local = datetime.combine(day.date(), at, tzinfo=zone)
    return local.astimezone(zoneinfo.ZoneInfo("UTC"))


def window_end_at(windows: Iterable[Window], zone: tzinfo, at: datetime) -> datetime | None:
    """The end (an aware instant) of the window holding ``at``, or None outside all of them."""
    local = at.astimezone(zone)
    for weekday, start, end in windows:
        if weekday != local.weekday():
            continue
        opens, closes = _instant(local, start, zone), _instant(local, end, zone)
        if opens <= at < closes:
            return closes
    return None


def window_next_start(windows: Iterable[Window], zone: tzinfo, at: datetime) -> datetime | None:
    """The next moment after ``at`` at which a window opens (within eight days), or None."""
    ordered = list(windows)
    local = at.astimezone(zone)
    for ahead in range(8):
        day = local + timedelta(days=ahead)
        starts = sorted(
            _instant(day, start, zone) for weekday, start, _ in ordered if weekday == day.weekday()
        )
        for opens in starts:
            if opens > at:
                return opens
    return None


def profile_windows(profile: Any) -> list[Window]:
    """The profile's windows as plain tuples (one query unless prefetched)."""
    return [(w.weekday, w.start, w.end) for w in profile.availability.all()]


def user_windows(user_id: int) -> tuple[list[Window], tzinfo]:
    """The person's windows and zone, read fresh in one query (a cached profile on a
    long-lived user object may hold an old time zone)."""
    from marketplace.models import ExpertProfile

    rows = list(
        ExpertProfile.objects.filter(user_id=user_id).values_list(
            "timezone", "availability__weekday", "availability__start", "availability__end"
        )
    )
    zone = expert_zone(rows[0][0] if rows else None)
    return [(day, start, end) for _, day, start, end in rows if day is not None], zone
