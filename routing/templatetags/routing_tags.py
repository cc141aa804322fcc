"""Template filters for routing's pages."""

from __future__ import annotations

from django import template

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
        return "under a minute"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"
