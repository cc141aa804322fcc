"""The expert's workspace history: the conversations she handled and a daily summary.

The page is the outer ring, so it reads quality's selectors (ratings) and payments' (earnings)
as the console does; routing itself never imports them at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from marketplace.availability import user_windows

HISTORY_PAGE_ROWS = 20
SUMMARY_DAYS = 14


@dataclass
class DayRow:
    day: date
    resolved: int = 0
    ratings: int = 0
    mean_rating: Decimal | None = None
    earnings: list[str] = field(default_factory=list)


def expert_daily_summary(*, user: Any, now: datetime, days: int = SUMMARY_DAYS) -> list[DayRow]:
    """One row per day of her last ``days`` local days, newest first: conversations resolved,
    what she earned (per currency, integer minor units formatted by payments) and the mean of
    the ratings she received. Three aggregate queries and one for her zone, whatever the history."""
    from payments.models import format_money
    from payments.selectors import expert_earnings_by_day
    from quality.selectors import expert_ratings_by_day, expert_resolved_by_day

    _, zone = user_windows(user.pk)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=zone)
    resolved = expert_resolved_by_day(user_id=user.pk, since=since, zone=zone)
    ratings = expert_ratings_by_day(user_id=user.pk, since=since, zone=zone)
    earnings = expert_earnings_by_day(user_id=user.pk, since=since, zone=zone)
    rows = []
    for offset in range(days):
        day = today - timedelta(days=offset)
        count, mean = ratings.get(day, (0, None))
        rows.append(
            DayRow(
                day=day,
                resolved=resolved.get(day, 0),
                ratings=count,
                mean_rating=mean,
                earnings=[
                    format_money(total, currency)
                    for (on, currency), total in sorted(earnings.items(), key=lambda i: i[0][1])
                    if on == day
                ],
            )
        )
    return rows


@login_required
def expert_history(request: HttpRequest) -> HttpResponse:
    from quality.selectors import expert_history_assignments

    page = Paginator(
        expert_history_assignments(user_id=request.user.pk), HISTORY_PAGE_ROWS
    ).get_page(request.GET.get("page"))
    summary = expert_daily_summary(user=request.user, now=timezone.now())
    return render(
        request,
        "routing/expert_history.html",
        {
            "page": page,
            "summary": summary,
            "summary_days": SUMMARY_DAYS,
            "summary_resolved": sum(row.resolved for row in summary),
        },
    )
