"""Reading the audit log: filters, the scoped list, and its CSV rows (selectors).

Every read goes through ``AuditEvent.objects.visible_to(viewer)``: a brand's staff see their
brand's lines; lines with no brand (sign-ins, failed sign-ins, refused pages, platform jobs)
only site admins see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.exceptions import ApplicationError, fields_message
from gigcx.models import AUDIT_WORDS, AuditEvent
from gigcx.tenancy import Viewer

SYSTEM = "system"
ACTION_RE = re.compile(r"[a-z_]{1,40}(\.[a-z_]{0,40})?")
CSV_HEADER = [
    "id",
    "when",
    "actor_id",
    "actor",
    "action",
    "what",
    "target_type",
    "target_id",
    "reason",
    "ip",
    "data",
]


@dataclass(frozen=True)
class AuditFilters:
    """``actor``: a user id, an email, or "system" (lines no person wrote). ``action``: one
    action ("payout.paid") or every action of a family ("payout."). ``since``/``until``: days,
    both included."""

    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.actor or self.action or self.since or self.until)

    def query(self) -> str:
        pairs = {
            "actor": self.actor,
            "action": self.action,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def _day(raw: str, name: str, errors: dict[str, list[str]]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [
            gettext("'%(value1)s' is not a day; use YYYY-MM-DD, e.g. 2026-12-01.")
            % {"value1": raw[:40]}
        ]
        return None


def audit_filters_parse(params: Mapping[str, Any]) -> tuple[AuditFilters, dict[str, list[str]]]:
    """The filters of a query string, and an error per filter that cannot be used (that
    filter is left out; the API turns any error into a 400)."""
    errors: dict[str, list[str]] = {}
    actor = str(params.get("actor") or "").strip()[:254]
    if actor and actor != SYSTEM and not actor.isdigit() and "@" not in actor:
        errors["actor"] = [gettext("Use a person's id, their email, or 'system'.")]
        actor = ""
    action = str(params.get("action") or "").strip()
    if action and not ACTION_RE.fullmatch(action):
        errors["action"] = [
            gettext("Use an action such as 'payout.paid', or a family such as 'payout.'.")
        ]
        action = ""
    since = _day(str(params.get("since") or "").strip(), "since", errors)
    until = _day(str(params.get("until") or "").strip(), "until", errors)
    if since and until and until < since:
        errors["until"] = [gettext("The end day is before the start day.")]
        until = None
    return AuditFilters(actor=actor, action=action, since=since, until=until), errors


def audit_filters_parse_strict(params: Mapping[str, Any]) -> AuditFilters:
    filters, errors = audit_filters_parse(params)
    if errors:
        raise ApplicationError(fields_message(errors), fields=errors)
    return filters


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(
    *, viewer: Viewer, brand_id: int | None, filters: AuditFilters
) -> QuerySet[AuditEvent]:
    """The audit lines the viewer may see, newest first: one brand's, or (``brand_id`` None)
    every line visible to the viewer, which is everything for a site admin."""
    events = AuditEvent.objects.visible_to(viewer).select_related("actor")
    if brand_id is not None:
        events = events.filter(brand_id=brand_id)
    if filters.actor == SYSTEM:
        events = events.filter(actor__isnull=True)
    elif filters.actor.isdigit():
        events = events.filter(actor_id=int(filters.actor))
    elif filters.actor:
        events = events.filter(actor__email__iexact=filters.actor)
    if filters.action.endswith("."):
        events = events.filter(action__startswith=filters.action)
    elif filters.action:
        events = events.filter(action=filters.action)
    if filters.since:
        events = events.filter(created_at__gte=_start_of(filters.since))
    if filters.until:
        events = events.filter(created_at__lt=_start_of(filters.until + timedelta(days=1)))
    return events.order_by("-created_at", "-id")


def audit_actor_choices(*, viewer: Viewer, brand_id: int) -> list[tuple[str, str]]:
    """Everyone who wrote a line in the brand's log (at most 200), for the actor filter."""
    rows = (
        AuditEvent.objects.visible_to(viewer)
        .filter(brand_id=brand_id, actor__isnull=False)
        .order_by()
        .values_list("actor_id", "actor__name", "actor__email")
        .distinct()[:200]
    )
    people = sorted(
        ((str(pk), name or email.split("@", 1)[0]) for pk, name, email in rows),
        key=lambda c: c[1].lower(),
    )
    return [(SYSTEM, "The platform (no person)"), *people]


def audit_action_choices(*, viewer: Viewer, brand_id: int) -> list[tuple[str, str]]:
    """The actions in the brand's log, in words, and one "all of …" entry per family."""
    actions = sorted(
        AuditEvent.objects.visible_to(viewer)
        .filter(brand_id=brand_id)
        .order_by()
        .values_list("action", flat=True)
        .distinct()
    )
    families = sorted({a.split(".")[0] for a in actions if "." in a})
    choices = [
        (f"{family}.", gettext("All %(family)s actions") % {"family": family.replace("_", " ")})
        for family in families
    ]
    choices += [(a, AUDIT_WORDS.get(a, a.replace(".", " ").replace("_", " "))) for a in actions]
    return choices


def csv_safe(cell: object) -> object:
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading
    apostrophe, so an exported cell is shown as text, never evaluated."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def audit_csv_rows(events: Iterable[AuditEvent]) -> Iterator[list[Any]]:
    import json

    yield CSV_HEADER
    for event in events:
        actor = event.actor
        yield [
            csv_safe(cell)
            for cell in (
                event.pk,
                event.created_at.isoformat(),
                event.actor_id or "",
                actor.display_name if actor is not None else SYSTEM,
                event.action,
                event.summary,
                event.target_type,
                event.target_id,
                event.reason,
                event.ip or "",
                json.dumps(event.data, sort_keys=True, default=str) if event.data else "",
            )
        ]
