"""API authentication: allauth's headless session token, for apps.

Brand integrations authenticate with ``Authorization: Api-Key <key>``; that class lives in
``marketplace.authentication`` because keys belong to brands.
"""

from __future__ import annotations

from typing import Any

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from gigcx.i18n import user_language


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """``X-Session-Token`` from ``/_allauth/app/v1/auth/login``.

    Unlike the stock class, a token that is present but wrong is an error (401) rather
    than silently anonymous, and unauthenticated requests get 401 with a challenge.

    The caller is known only here, after ``LanguageMiddleware`` chose the request's language
    without her: her saved language (``User.language``) is activated now, for the answer and
    its ``Content-Language`` (the middleware restores the thread's language afterwards).
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        token = self.get_session_token(request)
        if not token:
            return None
        result = super().authenticate(request)
        if result is None:
            raise AuthenticationFailed(
                gettext("The session token is invalid or has expired; log in again.")
            )
        language = user_language(result[0])
        if language:
            translation.activate(language)
            request._request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        return result

    def authenticate_header(self, request: Request) -> str:
        return 'Session-Token realm="api"'
