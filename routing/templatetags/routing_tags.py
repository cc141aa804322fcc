"""Template filters for routing's pages."""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext, ngettext

from routing.scoring import factor_label as _factor_label

register = template.Library()


@register.filter
def factor_label(name: str) -> str:
    """``{{ name|factor_label }}``: "text_fit" reads "Answered similar questions"."""
    return _factor_label(str(name))


@register.filter
def duration(seconds: int | None) -> str:
    """``{{ 4000|duration }}``: "1 h 6 min"; a short, plain reading of a span of time."""
    if seconds is None:
        return "—"
    seconds = abs(int(seconds))
    if seconds < 60:
        return gettext("under a minute")
    minutes = seconds // 60
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes:
            return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
        return gettext("%(hours)d h") % {"hours": hours}
    days = hours // 24
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


# The one stored reason that carries a number (routing.services.offers, missed offers).
MISSED_OFFERS = re.compile(r"^(\d+) offers in a row expired, so we set you away")


@register.filter
def presence_reason(reason: str | None) -> str:
    """``{{ presence.status_reason|presence_reason }}``: why she was set away, in the page's
    language. The reasons are stored in English (routing.services.presence marks them)."""
    if not reason:
        return ""
    missed = MISSED_OFFERS.match(reason)
    if missed:
        count = int(missed.group(1))
        return ngettext(
            "%(count)d offer in a row expired, so we set you away to keep customers from "
            "waiting. Go online when you are back.",
            "%(count)d offers in a row expired, so we set you away to keep customers from "
            "waiting. Go online when you are back.",
            count,
        ) % {"count": count}
    return gettext(reason)


@register.filter
def system_text(body: str) -> str:
    """A stored system message in the reader's language (routing.system_texts)."""
    from routing.system_texts import system_text as translated

    return translated(body or "")


@register.filter
def escalation_reason(reason: str) -> str:
    """Why a question was escalated, in the reader's language (routing.system_texts)."""
    from routing.system_texts import escalation_reason_text

    return escalation_reason_text(reason or "")
