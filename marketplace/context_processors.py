from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from marketplace.selectors import memberships_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the header shows: the brands the user works for, and whether they are an expert."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_staff_brands": [], "nav_is_expert": False}
    from gigcx.tenancy import viewer_for

    viewer = viewer_for(request)
    # Brands whose role waits for a second factor stay in the menu; their pages explain.
    has_staff = viewer.staff_roles or viewer.mfa_withheld_brand_ids
    staff = list(memberships_of(user=user)) if has_staff else []
    return {"nav_staff_brands": staff, "nav_is_expert": bool(viewer.expert_brand_ids)}
