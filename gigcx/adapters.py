"""django-allauth customisation, through its adapter only (STYLE 13)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "GIGCX_SIGNUP_OPEN", True))

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Someone whose role needs a second factor they have not set up (or, for a site
        # admin who signed in without one, not used) is told so at once, not at the first
        # page that refuses them.
        from gigcx.mfa import mfa_missing, mfa_required_url

        url = super().get_login_redirect_url(request)
        if mfa_missing(request):
            return mfa_required_url(url)
        return url

    def get_client_ip(self, request: HttpRequest) -> str:
        # The same trusted-proxy rule as the API throttles (GIGCX_TRUSTED_PROXIES).
        from gigcx.throttling import client_ip

        return client_ip(request) or super().get_client_ip(request)

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        # Links in emails must point at the public site, not at whatever host the request
        # (or the headless app) used.
        url = super().get_email_confirmation_url(request, emailconfirmation)
        if url.startswith(("http://", "https://")):
            return url
        return settings.SITE_URL.rstrip("/") + url
