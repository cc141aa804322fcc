"""Creating people outside the signup form (demo data, invitations, tests)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from gigcx.models import User


@transaction.atomic
def user_create(
    *, email: str, password: str | None, name: str = "", verified: bool = False
) -> User:
    """Create a user with a primary email address (verified or not). Not idempotent."""
    user = User.objects.create_user(email=email, password=password, name=name)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def user_get_or_create(*, email: str, password: str | None, name: str = "") -> tuple[User, bool]:
    """Idempotent by email, for demo data: an existing user is returned unchanged."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    return user_create(email=email, password=password, name=name, verified=True), True


def user_totp_enrol(*, user: User, secret: str) -> bool:
    """Give ``user`` an authenticator app holding ``secret`` (base32), as if they had scanned
    it: for demo data and tests, which need a known secret. Returns False (and changes
    nothing) when the user already has one. People enrol through ``/accounts/2fa/``."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return False
    TOTP.activate(user, secret)
    return True


def signed_in_user(request: Any) -> User:
    """The person behind a request only a signed-in person reaches (``login_required``,
    ``IsAuthenticated``). Anything else (an anonymous visitor, a brand's API key) is refused
    with 403 rather than handed on as if it were a person."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        raise PermissionDenied(gettext("Sign in as a person to do this."))
    return user
