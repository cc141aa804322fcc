"""Template filters for routing's pages."""

from __future__ import annotations

from django import template

from routing.scoring import factor_label as _factor_label

register = template.Library()


@register.filter
def factor_label(name: str) -> str:
    """``{{ name|factor_label }}``: "text_fit" reads "Answered similar questions"."""
    return _factor_label(str(name))
