"""Permission classes shared by every app's API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request


class IsPerson(IsAuthenticated):
    """A person signed in as themselves. Brand API keys act for a brand's staff; they have no
    expert console, presence, earnings or payouts."""

    message = _("Sign in as yourself; brand API keys cannot do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and (
            getattr(request.user, "api_key_id", None) is None
        )


class IsExpert(IsPerson):
    """A person with an expert profile (or a place in a pool): the ``/api/v1/expert/*``
    endpoints are her console, presence, earnings and payouts. Customers and brand staff
    who are not experts are told so (403) instead of getting an empty expert's answer."""

    # Lazy: read in the request's language when the refusal is written.
    message = gettext_lazy(  # type: ignore[assignment]
        "These endpoints are for experts. Create your expert profile first "
        "(PATCH /api/v1/expert/profile or the expert profile page)."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return (
            get_user_model()
            ._default_manager.filter(pk=request.user.pk)
            .filter(Q(expert_profile__isnull=False) | Q(expert_memberships__isnull=False))
            .exists()
        )
