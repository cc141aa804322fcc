"""The Content-Security-Policy: settings.CONTENT_SECURITY_POLICY, plus what depends on the
request.

- connect-src also names the page's own WebSocket origin (ws: or wss:, as the page was
  served), so the live consoles (Channels) connect in every browser, including those that do
  not count a WebSocket to the same host as 'self'.
- A page a brand puts in an iframe on its own site (the widget, /embed/) calls
  ``allow_framing`` to replace frame-ancestors 'none' with the brand's origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


class ContentPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        try:
            host = request.get_host()
        except DisallowedHost:  # the 400 for a Host header we do not serve: 'self' only
            return parts
        scheme = "wss" if request.is_secure() else "ws"
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", ()), f"{scheme}://{host}"]
        parts.update = update
        return parts


def framing_origins(website: str) -> list[str]:
    """The origin of a brand's website as a frame-ancestors source, or [] when the address
    has no scheme and host to take one from."""
    parts = urlsplit(website.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc}"]


def allow_framing(response: HttpResponseBase, origins: Sequence[str]) -> HttpResponseBase:
    """Let ``origins`` (and this site) put the page in an iframe; with no origins, any site
    may. Replaces frame-ancestors 'none', and exempts the page from X-Frame-Options: DENY,
    which has no way to name another site."""
    ancestors = [SELF, *origins] if origins else ["*"]
    replace = dict(getattr(response, "_csp_replace", None) or {})
    replace["frame-ancestors"] = ancestors
    response._csp_replace = replace  # type: ignore[attr-defined]
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response
