"""Two-factor authentication: who must use it, and whether this session has.

Anyone may turn on an authenticator app (TOTP) and recovery codes on their account pages
(allauth's MFA app, ``/accounts/2fa/``). It is required for:

- brand owners, and every member of the staff of a brand with ``require_staff_mfa``: their
  roles count only in a session confirmed with a second factor (``gigcx.tenancy.viewer_for``
  withholds them otherwise, so pages and the API treat them as customers);
- site admins: ``/admin/`` (and site-wide rights elsewhere) need the same.

A session is confirmed when the person signed in with a code (allauth's MFA stage), entered
one again at ``/accounts/2fa/reauthenticate/``, or set up the app in it (the set-up form
checks a code). Brand API keys are not people and are not affected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# The user id whose second factor this session has seen (a session may change hands at
# login; allauth's own records are keyed the same way).
SESSION_KEY = "gigcx_mfa_user"


def mfa_enabled(user: Any) -> bool:
    """An authenticator app is set up (recovery codes alone do not count)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return bool(user.is_authenticated) and is_mfa_enabled(user, [Authenticator.Type.TOTP])


def session_mfa_verified(request: Any, *, has_mfa: bool | None = None) -> bool:
    """This session belongs to a person who proved a second factor in it and still has one
    (``has_mfa``, when the caller already knows it, saves the query)."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    # An app's X-Session-Token (DRF) carries its own session, not the cookie's.
    auth = getattr(request, "auth", None)
    if isinstance(auth, SessionBase):
        session = auth
    if user is None or session is None or not user.is_authenticated:
        return False
    cached = getattr(request, "_gigcx_mfa_verified", None)
    if cached is not None and cached[0] == user.pk:
        return bool(cached[1])
    verified = session.get(SESSION_KEY) == user.pk and (
        has_mfa if has_mfa is not None else mfa_enabled(user)
    )
    request._gigcx_mfa_verified = (user.pk, verified)
    return verified


def totp_code(secret: str, *, at: float | None = None) -> str:
    """The code an authenticator app holding ``secret`` shows at ``at`` (now), computed by
    allauth's own TOTP functions (demo command and tests)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    moment = time.time() if at is None else at
    return format_hotp_value(hotp_value(secret, int(moment) // app_settings.TOTP_PERIOD))


def session_mark_mfa_verified(request: Any, user: Any) -> None:
    request.session[SESSION_KEY] = user.pk
    request._gigcx_mfa_verified = (user.pk, True)


def mfa_required_url(next_url: str = "") -> str:
    url = reverse("mfa-required")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def mfa_missing(request: HttpRequest) -> bool:
    """The signed-in person has a role or right that needs a second factor this session lacks."""
    from gigcx.tenancy import viewer_for

    user = request.user
    if not user.is_authenticated:
        return False
    if viewer_for(request).mfa_withheld_brand_ids:
        return True
    return bool(user.is_staff or user.is_superuser) and not session_mfa_verified(request)


# ---------------------------------------------------------------------------------------
# allauth's MFA signals: the session remembers a code it has seen (connected in
# GigcxConfig.ready; the audit lines are written by gigcx.audit).
# ---------------------------------------------------------------------------------------


def on_authenticator_used(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Sent for a code accepted at sign-in (before login(), whose key rotation keeps the
    # session's data) and at re-authentication.
    if request is not None and hasattr(request, "session"):
        session_mark_mfa_verified(request, user)


def on_authenticator_added(sender: Any, request: Any, authenticator: Any, **kwargs: Any) -> None:
    from allauth.mfa.models import Authenticator

    # Setting up the app means typing a valid code from it.
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        session_mark_mfa_verified(request, authenticator.user)


def on_authenticator_removed(sender: Any, request: Any, authenticator: Any, **kwargs: Any) -> None:
    from allauth.mfa.models import Authenticator

    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        request.session.pop(SESSION_KEY, None)
        request._gigcx_mfa_verified = None


def connect_mfa_signals() -> None:
    from allauth.mfa import signals

    signals.authenticator_used.connect(on_authenticator_used, dispatch_uid="gigcx.mfa.used")
    signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="gigcx.mfa.added")
    signals.authenticator_removed.connect(
        on_authenticator_removed, dispatch_uid="gigcx.mfa.removed"
    )


class AdminMfaMiddleware:
    """``/admin/`` needs a site admin in a session confirmed with a second factor.

    The admin's own login page stays reachable (under its rate limit, gigcx.urls); once past
    it, a session without a code is sent to set one up or to enter one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_root = reverse("admin:index")
        if request.path.startswith(admin_root) and not request.path.startswith(
            (reverse("admin:login"), reverse("admin:logout"))
        ):
            user = request.user
            if user.is_authenticated and user.is_staff and not session_mfa_verified(request):
                return HttpResponseRedirect(mfa_required_url(request.get_full_path()))
        return self.get_response(request)
