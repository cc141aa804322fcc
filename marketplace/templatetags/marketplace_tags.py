"""Template tags of the brand staff pages."""

from __future__ import annotations

from typing import Any

from django import template

from gigcx.tenancy import EDITOR_ROLES, viewer_for

register = template.Library()


@register.simple_tag(takes_context=True)
def can_edit_brand(context: Any, brand: Any) -> bool:
    """``{% can_edit_brand brand as editor %}``: whether the person viewing the page is an
    owner or manager of ``brand`` (a quality reviewer only reads), so pages show only the
    links and buttons their role can use."""
    request = context.get("request")
    if request is None or brand is None:
        return False
    return viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES)
