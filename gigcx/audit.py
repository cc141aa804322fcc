"""The audit log: one call, inside the transaction of the change it records."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from gigcx.models import AuditEvent

logger = logging.getLogger(__name__)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    brand_id: int | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit line. ``actor`` may be a user, an API key principal or None (system)."""
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    if actor_id is not None and not isinstance(actor_id, int):
        actor_id = None
    extra = dict(data or {})
    api_key_id = getattr(actor, "api_key_id", None)
    if api_key_id is not None:
        extra["api_key_id"] = api_key_id
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        brand_id=brand_id,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=reason,
        data=extra,
        ip=ip or None,
    )


# ---------------------------------------------------------------------------------------
# Security events: logins, failed logins, password and MFA changes, denied access.
# Django and allauth announce them only through signals, so these receivers are the one
# place they are written (connected in GigcxConfig.ready).
# ---------------------------------------------------------------------------------------


def _ip(request: Any) -> str | None:
    if request is None:
        return None
    from gigcx.throttling import client_ip

    return client_ip(request) or None


def _security_event(action: str, *, user: Any, request: Any, **data: Any) -> None:
    try:
        audit_record(actor=user, action=action, data=data, ip=_ip(request))
    except Exception:
        # An audit write must never turn a login into an error page; it is logged instead.
        logger.exception("could not write the audit event %s", action)


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _security_event("auth.login", user=user, request=request)


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _security_event("auth.logout", user=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    # Django has already masked the password; keep only the login that was tried.
    login = credentials.get("email") or credentials.get("username") or credentials.get("login")
    _security_event(
        "auth.login_failed", user=None, request=request, login=str(login or "")[:254].lower()
    )


def on_password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _security_event("auth.password_changed", user=user, request=request)


def on_password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _security_event("auth.password_reset", user=user, request=request)


def on_mfa_added(sender: Any, request: Any, authenticator: Any, **kwargs: Any) -> None:
    _security_event("mfa.added", user=request.user, request=request, type=authenticator.type)


def on_mfa_removed(sender: Any, request: Any, authenticator: Any, **kwargs: Any) -> None:
    _security_event("mfa.removed", user=request.user, request=request, type=authenticator.type)


def on_mfa_reset(sender: Any, request: Any, authenticator: Any, **kwargs: Any) -> None:
    # Recovery codes regenerated: the old ones stop working.
    _security_event("mfa.reset", user=request.user, request=request, type=authenticator.type)


def on_mfa_failed(sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any) -> None:
    # A wrong code at sign-in (request.user is still anonymous then) or at re-authentication.
    _security_event(
        "mfa.failed",
        user=user,
        request=request,
        type=getattr(authenticator, "type", ""),
        reauthentication=bool(kw.get("reauthentication", False)),
    )


def connect_security_signals() -> None:
    from allauth.account import signals as account_signals
    from allauth.mfa import signals as mfa_signals
    from django.contrib.auth import signals as auth_signals

    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="gigcx.audit.login")
    auth_signals.user_logged_out.connect(on_logged_out, dispatch_uid="gigcx.audit.logout")
    auth_signals.user_login_failed.connect(on_login_failed, dispatch_uid="gigcx.audit.failed")
    account_signals.password_changed.connect(on_password_changed, dispatch_uid="gigcx.audit.pw")
    account_signals.password_reset.connect(on_password_reset, dispatch_uid="gigcx.audit.reset")
    mfa_signals.authenticator_added.connect(on_mfa_added, dispatch_uid="gigcx.audit.mfa_add")
    mfa_signals.authenticator_removed.connect(on_mfa_removed, dispatch_uid="gigcx.audit.mfa_rm")
    mfa_signals.authenticator_reset.connect(on_mfa_reset, dispatch_uid="gigcx.audit.mfa_reset")
    mfa_signals.authentication_failed.connect(on_mfa_failed, dispatch_uid="gigcx.audit.mfa_fail")


class DeniedAccessAuditMiddleware:
    """Audit every 403, and every 404 of a route that matched (a brand, a question or
    another object the caller may not see; an address that matches no route is not
    interesting). One client address writes at most ``GIGCX_FORM_RATE_LIMITS["audit_denied"]``
    of them, so a scanner cannot flood the table."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        status = response.status_code
        if status == 403 or (status == 404 and getattr(request, "resolver_match", None)):
            self._record(request, status)
        return response

    def _record(self, request: HttpRequest, status: int) -> None:
        from django.conf import settings

        from gigcx.throttling import client_ip, rate_limit_hit

        ip = client_ip(request)
        try:
            if rate_limit_hit(
                scope="audit_denied",
                ident=ip,
                rate=settings.GIGCX_FORM_RATE_LIMITS["audit_denied"],
            ):
                return
        except Exception:
            logger.exception("denied-access audit: rate limit unavailable")
            return
        match = request.resolver_match
        path = request.path
        if match is not None:
            # A private-link or invitation token in the address never reaches the audit log.
            for name, value in match.kwargs.items():
                if "token" in name and value:
                    path = path.replace(str(value), "[token]")
        data = {"method": request.method, "path": path[:300], "status": status}
        if match is not None:
            data["route"] = match.view_name
            if "slug" in match.kwargs:
                data["brand"] = str(match.kwargs["slug"])[:80]
        _security_event("access.denied", user=request.user, request=request, **data)
