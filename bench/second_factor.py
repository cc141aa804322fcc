"""The demo owner's second factor for the load scripts, which sign in over HTTP.

Brand owners must confirm a sign-in with an authenticator code. The scripts run outside
Django, so this computes the RFC 6238 code (30 s, 6 digits, SHA-1: what allauth checks)
from the public demo secret with the standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from typing import Any

from marketplace.demo import DEMO_TOTP_SECRET

MFA_AUTHENTICATE = "/_allauth/app/v1/auth/2fa/authenticate"


def demo_code(secret: str = DEMO_TOTP_SECRET, at: float | None = None) -> str:
    counter = int(time.time() if at is None else at) // 30
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def needs_code(status: int | None, body: Any) -> bool:
    """allauth's answer to a password that was right: 401 with the second factor pending."""
    if status != 401 or not isinstance(body, dict):
        return False
    flows = body.get("data", {}).get("flows", [])
    return any(f.get("id") == "mfa_authenticate" and f.get("is_pending") for f in flows)
