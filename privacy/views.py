"""Data rights pages: download your data, delete your account."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from gigcx.accounts import signed_in_user
from gigcx.exceptions import ApplicationError
from gigcx.throttling import ScopedRateThrottle, client_ip, rate_limited, too_many_requests
from privacy import services
from quality.models import Rating
from routing.models import Question


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    refusal = services.account_erase_refusal(user=user)
    return render(
        request,
        "privacy/account_data.html",
        {
            "question_count": Question.objects.filter(asked_by=user).count(),
            "rating_count": Rating.objects.filter(question__asked_by=user).count(),
            "refusal": refusal.message if refusal else "",
            "error": error,
            "contact": settings.GIGCX_PRIVACY_EMAIL,
            "erased_marker": services.ERASED,
        },
        status=status,
    )


@login_required
@require_GET
def account_data(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def account_export_download(request: HttpRequest) -> HttpResponse:
    """The same document as GET /api/v1/me/export, as a file, under the same limit."""
    throttle = ScopedRateThrottle()
    if not throttle.allow_request(request, SimpleNamespace(throttle_scope="data_export")):
        return too_many_requests(request, max(1, math.ceil(throttle.wait() or 1)))
    body = services.account_export(user=signed_in_user(request))
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="gigcx-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@rate_limited("account_delete", by=lambda request: str(request.user.pk))
def account_delete(request: HttpRequest) -> HttpResponse:
    try:
        services.account_erase(
            user=signed_in_user(request),
            confirm=request.POST.get("confirm", ""),
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return _page(request, error=exc.message, status=exc.status_code)
    logout(request)
    messages.success(
        request,
        gettext(
            "Your account is deleted and you are signed out. Your words in past conversations "
            "were removed; the brands keep the ratings' stars and their own replies."
        ),
    )
    return redirect("home")
