"""Managing the advocate pool (suspend, reinstate, tier, verification) and expert profiles."""

from __future__ import annotations

import zoneinfo
from datetime import time
from functools import cache
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError, ConflictError, fields_message
from gigcx.models import User
from marketplace.models import AvailabilityWindow, Expert, ExpertProfile, ExpertSkill
from marketplace.services.core import _languages_validate, expert_enrol


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            gettext("Give a reason; the expert sees it and it goes to the audit log."),
            fields={"reason": [gettext("This field is required.")]},
        )
    return reason


def _locked(expert: Expert) -> Expert:
    return Expert.objects.select_for_update().select_related("brand", "user").get(pk=expert.pk)


@transaction.atomic
def expert_suspend(*, expert: Expert, actor: Any, reason: str) -> Expert:
    """Stop an expert receiving offers. They see the reason on their console."""
    reason = _reason_required(reason)
    expert = _locked(expert)
    if expert.status == Expert.Status.SUSPENDED:
        raise ConflictError(gettext("This expert is already suspended."))
    if expert.status == Expert.Status.REMOVED:
        raise ConflictError(gettext("This person has been removed from the pool."))
    return expert_enrol(
        brand=expert.brand,
        user=expert.user,
        status=Expert.Status.SUSPENDED,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def expert_reinstate(
    *, expert: Expert, actor: Any, reason: str, status: str = Expert.Status.APPROVED
) -> Expert:
    """Bring a suspended expert back, approved or on probation."""
    reason = _reason_required(reason)
    if status not in (Expert.Status.APPROVED, Expert.Status.PROBATION):
        raise ApplicationError(
            gettext("Reinstate as 'approved' or 'probation'."),
            fields={"status": ["approved or probation"]},
        )
    expert = _locked(expert)
    if expert.status != Expert.Status.SUSPENDED:
        raise ConflictError(
            gettext("Only a suspended expert can be reinstated; this one is %(value1)s.")
            % {"value1": expert.get_status_display().lower()}
        )
    return expert_enrol(
        brand=expert.brand, user=expert.user, status=status, actor=actor, reason=reason
    )


@transaction.atomic
def expert_tier_set(*, expert: Expert, tier: str, actor: Any) -> Expert:
    if tier not in Expert.Tier.values:
        raise ApplicationError(
            gettext("Unknown tier '%(tier)s'.") % {"tier": tier},
            fields={
                "tier": [gettext("One of: %(value1)s.") % {"value1": ", ".join(Expert.Tier.values)}]
            },
        )
    expert = _locked(expert)
    if expert.tier != tier:
        before, expert.tier = expert.tier, tier
        expert.save(update_fields=["tier"])
        audit_record(
            actor=actor,
            action="expert.tier_changed",
            target=expert,
            brand_id=expert.brand_id,
            data={"from": before, "to": tier},
        )
    return expert


@transaction.atomic
def expert_skill_verify(*, skill: ExpertSkill, level: int, actor: Any) -> ExpertSkill:
    """Staff vouch for a skill at a level (after a call, a test drive, a certificate...)."""
    if not 1 <= level <= 5:
        raise ApplicationError(
            gettext("Level must be between 1 and 5."), fields={"level": [gettext("1 to 5.")]}
        )
    skill = ExpertSkill.objects.select_for_update().select_related("expert").get(pk=skill.pk)
    skill.verified_level, skill.verified_at = level, timezone.now()
    skill.save(update_fields=["verified_level", "verified_at"])
    audit_record(
        actor=actor,
        action="skill.verified",
        target=skill,
        brand_id=skill.expert.brand_id,
        data={"level": level, "by": "staff"},
    )
    return skill


@transaction.atomic
def expert_skill_unverify(*, skill: ExpertSkill, actor: Any, reason: str = "") -> ExpertSkill:
    """Withdraw a verification. Idempotent."""
    skill = ExpertSkill.objects.select_for_update().select_related("expert").get(pk=skill.pk)
    if skill.verified_at is not None:
        skill.verified_level, skill.verified_at = None, None
        skill.save(update_fields=["verified_level", "verified_at"])
        audit_record(
            actor=actor,
            action="skill.unverified",
            target=skill,
            brand_id=skill.expert.brand_id,
            reason=reason,
        )
    return skill


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _windows_validate(windows: list[tuple[int, time, time]]) -> list[tuple[int, time, time]]:
    problems = []
    ordered = sorted(windows)
    for index, (weekday, start, end) in enumerate(ordered):
        day = AvailabilityWindow.Weekday(weekday).label if 0 <= weekday <= 6 else str(weekday)
        if not 0 <= weekday <= 6:
            problems.append(
                gettext("Unknown weekday %(weekday)s; use 0 (Monday) to 6 (Sunday).")
                % {"weekday": weekday}
            )
        elif start >= end:
            problems.append(
                gettext("%(day)s %(start)s–%(end)s: the end must be after the start.")
                % {"day": day, "start": format(start, "%H:%M"), "end": format(end, "%H:%M")}
            )
        elif index and ordered[index - 1][0] == weekday and ordered[index - 1][2] > start:
            problems.append(
                gettext("%(day)s: two windows overlap at %(start)s.")
                % {"day": day, "start": format(start, "%H:%M")}
            )
    if len(ordered) > 28:
        problems.append("Keep it to 28 windows a week.")
    if problems:
        raise ApplicationError(
            gettext("Some availability windows are not valid."), fields={"availability": problems}
        )
    return ordered


@transaction.atomic
def expert_profile_update(
    *,
    user: User,
    availability: list[tuple[int, time, time]] | None = None,
    **changes: Any,
) -> ExpertProfile:
    """Create or change the person's expert profile (shared by every pool they are in).

    ``availability`` replaces all weekly windows when given (times in the profile timezone).
    """
    allowed = {
        "display_name",
        "bio",
        "languages",
        "timezone",
        "capacity",
        "notify_offers_browser",
        "notify_offers_email",
        "notify_program_email",
        "notify_surge_alerts",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            gettext("These fields cannot be changed: %(value1)s.")
            % {"value1": ", ".join(sorted(unknown))}
        )
    errors: dict[str, list[str]] = {}
    if "display_name" in changes:
        changes["display_name"] = str(changes["display_name"]).strip()[:60]
        if not changes["display_name"]:
            errors["display_name"] = [gettext("This field is required.")]
    if "capacity" in changes and not 1 <= int(changes["capacity"]) <= 10:
        errors["capacity"] = [gettext("1 to 10 questions at once.")]
    if "timezone" in changes and changes["timezone"] not in _timezones():
        errors["timezone"] = [
            gettext("Unknown timezone '%(timezone)s'; e.g. Europe/Berlin.")
            % {"timezone": changes["timezone"]}
        ]
    if "bio" in changes and len(changes["bio"]) > 2000:
        errors["bio"] = [gettext("Keep it under 2000 characters.")]
    if errors:
        raise ApplicationError(fields_message(errors), fields=errors)
    if "languages" in changes:
        changes["languages"] = _languages_validate(changes["languages"])
    profile = ExpertProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        profile = ExpertProfile(user=user, display_name=user.display_name[:60], languages=["en"])
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.save()
    if availability is not None:
        windows = _windows_validate(availability)
        profile.availability.all().delete()
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(profile=profile, weekday=day, start=start, end=end)
            for day, start, end in windows
        )
    return profile
