"""Site-wide pages: home, the privacy page, the two-factor notice and the health check."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import JavaScriptCatalog

from gigcx.accounts import signed_in_user
from gigcx.celery import app as celery_app
from routing.text.embeddings import text_backend

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
@require_GET
def mfa_required(request: HttpRequest) -> HttpResponse:
    """Why this account needs two-factor authentication, and the one step that gets it there:
    set up an authenticator app, or (when one is set up) enter a code in this session."""
    from gigcx.mfa import mfa_enabled, session_mfa_verified
    from gigcx.tenancy import viewer_for_user
    from marketplace.models import BrandMembership

    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    # The brands that require it, whether or not this session has already satisfied them.
    required = viewer_for_user(request.user).mfa_brand_ids
    memberships = (
        BrandMembership.objects.filter(user=signed_in_user(request), brand_id__in=required)
        .select_related("brand")
        .order_by("brand__name")
    )
    reasons = [
        _("you own %(brand)s") % {"brand": m.brand.name}
        if m.role == BrandMembership.Role.OWNER
        else _("%(brand)s asks it of everyone on its staff") % {"brand": m.brand.name}
        for m in memberships
    ]
    if request.user.is_staff:
        reasons.append(_("you are a site administrator"))
    enabled = mfa_enabled(request.user)
    return render(
        request,
        "mfa_required.html",
        {
            "reasons": reasons,
            "reasons_text": _and_join(reasons),
            "needed": bool(reasons) and not session_mfa_verified(request),
            "enabled": enabled,
            "next": next_url,
            "brands": [m.brand for m in memberships],
        },
    )


def _and_join(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c" in the active language."""
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """What is kept, who sees it, for how long, and how to opt out of tone analysis. The
    figures come from the code that enforces them, so the page cannot drift from it."""
    from privacy.services import ERASED, EXPIRED
    from quality.services.scores import WINDOW_DAYS
    from quality.services.survey import LINK_DAYS
    from routing.models import RoutingSettings

    return render(
        request,
        "privacy.html",
        {
            "contact": settings.GIGCX_PRIVACY_EMAIL,
            "session_days": settings.SESSION_COOKIE_AGE // 86400,
            "rating_link_days": LINK_DAYS,
            "quality_window_days": WINDOW_DAYS,
            "offer_seconds": RoutingSettings._meta.get_field("offer_timeout_seconds").default,
            "erased_marker": ERASED,
            "expired_marker": EXPIRED,
            "export_rate": _rate_in_words(
                settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["data_export"]
            ),
        },
    )


def _rate_in_words(rate: str) -> str:
    """ "5/hour" -> "5 times an hour", in the active language."""
    from gigcx.throttling import parse_rate

    count, seconds = parse_rate(rate)
    if seconds == 60:
        return ngettext("%(count)d time a minute", "%(count)d times a minute", count) % {
            "count": count
        }
    if seconds == 3600:
        return ngettext("%(count)d time an hour", "%(count)d times an hour", count) % {
            "count": count
        }
    if seconds == 86400:
        return ngettext("%(count)d time a day", "%(count)d times a day", count) % {"count": count}
    return ngettext(
        "%(count)d time every %(seconds)d s", "%(count)d times every %(seconds)d s", count
    ) % {"count": count, "seconds": seconds}


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("healthz: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("healthz: broker unreachable", exc_info=True)
        return False


def _cache_ok() -> bool:
    try:
        cache.set("healthz", "1", timeout=10)
        return cache.get("healthz") == "1"
    except Exception:
        logger.warning("healthz: cache unreachable", exc_info=True)
        return False


def _live_ok() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)("healthz", {"type": "healthz"})
        return True
    except Exception:
        logger.warning("healthz: channel layer unreachable", exc_info=True)
        return False


# Without these the site cannot take or route a question: 503, take it out of the pool.
REQUIRED = ("database", "broker")
# Without these it still works, less well: rate limits fall back to per-process counters,
# locks to the database, consoles to polling. 200, "degraded", and the part named.
OPTIONAL = ("cache", "live")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 "ok" when everything answers; 200 "degraded" naming the part when an optional
    one does not; 503 "unavailable" when the database or the broker does not."""
    checks = {
        "database": _database_ok(),
        "broker": _broker_ok(),
        "cache": _cache_ok(),
        "live": _live_ok(),
    }
    if not all(checks[name] for name in REQUIRED):
        status = "unavailable"
    elif not all(checks[name] for name in OPTIONAL):
        status = "degraded"
    else:
        status = "ok"
    body = {
        "status": status,
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
        "degraded": [name for name, ok in checks.items() if not ok],
        "broker": str(settings.CELERY_BROKER_URL).split("://", 1)[0],
        "database": connection.vendor,
        "text_backend": text_backend(),
    }
    return JsonResponse(body, status=503 if status == "unavailable" else 200)


def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    """The /jsi18n/ catalog in ``language`` (the page's, whatever the browser asks for)."""
    from gigcx.i18n import supported

    if supported(language) != language:
        raise Http404(_("This site is not translated into that language."))
    with translation.override(language):
        response = JavaScriptCatalog.as_view()(request)
    response.headers["Content-Language"] = language
    return response


def _back_to(request: HttpRequest, target: str) -> str:
    """Where the switcher sends the browser back to: ``target``'s path and query string on
    this site, as a relative URL; "/" for anything else (another site, a scheme-relative
    "//host", a backslash trick, a path that does not start with "/")."""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    parts = urlsplit(target)  # a Referer is absolute: keep only its path and query
    path = parts.path
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return f"{path}?{parts.query}" if parts.query else path


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: remember the choice in a cookie, and for a signed-in person in
    her account too, so her emails follow it. "auto" forgets it (brand and browser decide).
    It sends the browser back to the page it came from, query string included."""
    from gigcx.i18n import supported

    code = request.POST.get("language", "")
    language = supported(code) if code != "auto" else ""
    if language is None:
        return HttpResponse(
            _("Choose one of the languages offered."), status=400, content_type="text/plain"
        )
    target = _back_to(request, request.POST.get("next") or request.headers.get("referer") or "/")
    response = redirect(target)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=request.is_secure(),
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    user = request.user
    if user.is_authenticated and getattr(user, "language", None) != language:
        user.language = language  # type: ignore[union-attr]
        user.save(update_fields=["language"])  # type: ignore[union-attr]
    return response
