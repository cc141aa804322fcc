"""One domain exception type, and one error shape for every 4xx and 5xx of the API:

{"error": {"code": "not_found", "message": "…", "fields": {"email": ["…"]}}}
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import kombu.exceptions
import redis.exceptions
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A rule of the domain was broken; the message is written for the person who sent it."""

    status_code = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"


class ConflictError(ApplicationError):
    """The request was valid but the state moved on (offer taken, already done)."""

    status_code = 409
    code = "conflict"


class ForbiddenError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class QuotaExceededError(ApplicationError):
    """A quota stored in the database is used up (it holds however the callers' addresses
    rotate); ``retry_after`` seconds until it frees up, sent as Retry-After."""

    status_code = 429
    code = "quota_exceeded"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# A dependency that is down, out of connections or too slow answers 503 with Retry-After,
# never 500: the request may simply be sent again. (DB-API's OperationalError is, by
# definition, about the database's operation rather than the program: connection refused,
# pool exhausted, statement or lock timeout, serialization failure after our retries.)
RETRY_AFTER_SECONDS = 5
_DEPENDENCIES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DatabaseOperationalError, DatabaseInterfaceError), "database"),
    ((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError), "cache"),
    ((kombu.exceptions.OperationalError,), "task queue"),
)


def unavailable_dependency(exc: BaseException | None) -> str | None:
    """The name of the dependency ``exc`` says is unavailable, or None for any other error."""
    for classes, name in _DEPENDENCIES:
        if isinstance(exc, classes):
            return name
    return None


# What a person reads for each dependency (the names above stay English in the logs).
_DEPENDENCY_WORDS = {"database": _("database"), "cache": _("cache"), "task queue": _("task queue")}


def dependency_words(dependency: str) -> str:
    return str(_DEPENDENCY_WORDS.get(dependency, dependency))


def unavailable_body(dependency: str) -> dict[str, Any]:
    return error_body(
        "service_unavailable",
        gettext(
            "The service is briefly unavailable (%(dependency)s); nothing you sent before this "
            "was lost. Try again in %(seconds)d seconds."
        )
        % {"dependency": dependency_words(dependency), "seconds": RETRY_AFTER_SECONDS},
    )


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def fields_message(fields: dict[str, list[str]]) -> str:
    """One sentence that says what to fix: the first field's first problem, and how many more.

    ``{"rating": ["Ensure this value is less than or equal to 5."]}`` reads
    "rating: Ensure this value is less than or equal to 5." A client that shows only the
    message still tells its user which field to change; ``fields`` keeps every problem.
    """
    if not fields:
        return gettext("The request is not valid.")
    name, problems = next(iter(fields.items()))
    if problems:
        message = gettext("%(field)s: %(problem)s") % {"field": name, "problem": problems[0]}
    else:
        message = gettext("%(field)s is not valid.") % {"field": name}
    others = len(fields) - 1
    if others:
        message += " " + ngettext(
            "(%(count)d more field to fix; each one is listed with its problem.)",
            "(%(count)d more fields to fix; each one is listed with its problem.)",
            others,
        ) % {"count": others}
    return message


_DRF_CODES = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "throttled",
    drf.ParseError: "malformed_request",
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler producing the one error shape."""
    if isinstance(exc, Http404):
        exc = drf.NotFound(gettext("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    dependency = unavailable_dependency(exc)
    if dependency:
        logger.warning("503: %s unavailable (%s)", dependency, exc.__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(
            unavailable_body(dependency),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    if isinstance(exc, ApplicationError):
        set_rollback()
        retry = getattr(exc, "retry_after", None)
        return Response(
            error_body(exc.code, exc.message, exc.fields),
            status=exc.status_code,
            headers={"Retry-After": str(retry)} if retry is not None else None,
        )

    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", None)
        message = general[0] if general else fields_message(fields)
        set_rollback()
        return Response(error_body("invalid", message, fields), status=400)

    if isinstance(exc, drf.APIException):
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
        message = exc.detail if isinstance(exc.detail, str) else gettext("Request failed.")
        set_rollback()
        return Response(
            error_body(code or str(exc.default_code), str(message)),
            status=exc.status_code,
            headers=headers,
        )
    return None  # unexpected: Django's 500 handler answers (below), and it is logged


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/_allauth/")) or (
        "application/json" in request.headers.get("Accept", "")
        and "text/html" not in request.headers.get("Accept", "")
    )


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("not_found", gettext("No such address.")), status=404)
    return render(request, "errors/404.html", status=404)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            error_body("permission_denied", gettext("You may not do this.")), status=403
        )
    return render(request, "errors/403.html", status=403)


def handler429(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's limits (login, signup, password reset) answer with this."""
    wait = 60
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            error_body(
                "throttled",
                gettext("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": wait},
            ),
            status=429,
        )
    else:
        response = render(request, "errors/429.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            error_body("bad_request", gettext("The request was malformed.")), status=400
        )
    return render(request, "errors/400.html", status=400)


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is still in sys.exc_info(): a
    # dependency outage outside the API (a page, a middleware's session read) becomes 503.
    dependency = unavailable_dependency(sys.exc_info()[1])
    if dependency:
        if _wants_json(request):
            response: HttpResponse = JsonResponse(unavailable_body(dependency), status=503)
        else:
            response = render_unavailable(request, dependency)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if _wants_json(request):
        return JsonResponse(
            error_body(
                "server_error", gettext("Something went wrong on our side; it has been logged.")
            ),
            status=500,
        )
    return render(request, "errors/500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            error_body(
                "csrf_failed",
                gettext(
                    "CSRF check failed: send the X-CSRFToken header with a session, or use "
                    "X-Session-Token / Api-Key authentication."
                ),
            ),
            status=403,
        )
    return render(request, "errors/403.html", {"reason": "csrf"}, status=403)


def render_unavailable(request: HttpRequest, dependency: str) -> HttpResponse:
    """The 503 page. Rendered without context processors that would query the database."""
    from django.template import loader

    html = loader.get_template("errors/503.html").render(
        {
            "dependency": dependency_words(dependency),
            "retry_after": RETRY_AFTER_SECONDS,
            # Reloading by itself is only safe for a page that was read, not a form sent.
            "reload": request.method in ("GET", "HEAD"),
        }
    )
    return HttpResponse(html, status=503)
