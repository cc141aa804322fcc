"""Permission classes shared by every app's API."""

from __future__ import annotations

from typing import Any

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
