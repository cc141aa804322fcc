"""The expert's choice to appear on her brand's leaderboard (off unless she opts in)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from gigcx.audit import audit_record
from marketplace.models import Expert
from quality.models import LeaderboardOptIn


def leaderboard_opt_set(*, expert: Expert, opted_in: bool, actor: Any) -> bool:
    """Put her on the leaderboard or take her off it. Idempotent; returns the new choice."""
    with transaction.atomic():
        if opted_in:
            _, changed = LeaderboardOptIn.objects.get_or_create(
                expert=expert, defaults={"brand_id": expert.brand_id}
            )
        else:
            changed = LeaderboardOptIn.objects.filter(expert=expert).delete()[0] > 0
        if changed:
            audit_record(
                actor=actor,
                action="quality.leaderboard_opt_in" if opted_in else "quality.leaderboard_opt_out",
                target=expert,
                brand_id=expert.brand_id,
            )
    return opted_in
