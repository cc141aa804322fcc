"""Small display helpers for the quality pages, in the active language's number format
("4.25" in English, "4,25" in German; German puts a space before the percent sign)."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

register = template.Library()


def _number(value: float, decimals: int) -> str:
    return number_format(round(value, decimals), decimal_pos=decimals, use_l10n=True)


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return gettext("%(number)s%%") % {"number": _number(value * 100, 0)}


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return gettext("%(number)s s") % {"number": _number(seconds, 0)}
    if seconds < 5400:
        return gettext("%(number)s min") % {"number": _number(seconds / 60, 1)}
    return gettext("%(number)s h") % {"number": _number(seconds / 3600, 1)}


@register.filter
def stars(value: float | None) -> str:
    return "—" if value is None else _number(value, 2)
