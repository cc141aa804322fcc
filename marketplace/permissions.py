"""Permission classes that resolve the brand of a ``/brands/{slug}/…`` URL from the viewer.

The brand is attached to the request as ``request.brand``. A viewer who is not staff of the
brand gets 404, exactly as for a brand that does not exist; staff whose role is too weak for
a write get 403.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from gigcx.exceptions import ForbiddenError
from gigcx.tenancy import EDITOR_ROLES, STAFF_ROLES, Viewer, viewer_for
from marketplace.models import Brand

BRAND_NOT_FOUND = "No such brand, or you are not on its staff."


def mfa_withheld_brand(viewer: Viewer, slug: str) -> Brand | None:
    """The brand of ``slug`` when the viewer is on its staff but their role there waits for
    a second factor this session has not seen (gigcx.mfa)."""
    if not viewer.mfa_withheld_brand_ids:
        return None
    return Brand.objects.filter(slug=slug, pk__in=viewer.mfa_withheld_brand_ids).first()


class MfaRequired(ForbiddenError):
    code = "mfa_required"


def role_refusal(brand: Brand) -> str:
    return gettext("Your role on %(brand)s's staff cannot do this; ask an owner or manager.") % {
        "brand": brand.name
    }


def raise_if_mfa_withheld(viewer: Viewer, slug: str) -> None:
    brand = mfa_withheld_brand(viewer, slug)
    if brand is not None:
        raise MfaRequired(
            gettext(
                "Your role on %(brand)s's staff needs two-factor authentication: set up an "
                "authenticator app at /accounts/2fa/ and sign in with a code (or enter one at "
                "/accounts/2fa/reauthenticate/). Brand API keys are not affected."
            )
            % {"brand": brand.name}
        )


def brand_of(request: Any) -> Brand:
    """The brand a permission class of this module resolved for the request."""
    brand = getattr(request, "brand", None)
    if not isinstance(brand, Brand):
        raise AssertionError("no brand on this request: the view needs a brand permission class")
    return brand


def staff_request(request: Any) -> bool:
    """Whether the permission class found the caller on the brand's staff (else: expert)."""
    return bool(getattr(request, "is_brand_staff", False))


def brand_for_staff(request: Any, slug: str, roles: tuple[str, ...] = STAFF_ROLES) -> Brand:
    viewer = viewer_for(request)
    brand = Brand.objects.visible_to(viewer).staffed_by(viewer).filter(slug=slug).first()
    if brand is None:
        raise_if_mfa_withheld(viewer, slug)
        raise NotFound(BRAND_NOT_FOUND)
    if not viewer.is_staff_of(brand.pk, roles):
        raise PermissionDenied(role_refusal(brand))
    return brand


class IsBrandStaff(BasePermission):
    """Staff of the URL's brand: any staff role may read, editors (owner, manager) may write.

    A view narrows the roles with ``read_roles`` / ``write_roles``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            roles = getattr(view, "read_roles", STAFF_ROLES)
        else:
            roles = getattr(view, "write_roles", EDITOR_ROLES)
        request.brand = brand_for_staff(request, view.kwargs["slug"], roles)  # type: ignore[attr-defined]
        request.is_brand_staff = True  # type: ignore[attr-defined]
        return True


class IsBrandStaffOrApplicant(IsBrandStaff):
    """Staff as :class:`IsBrandStaff`; and for the methods a view lists in
    ``applicant_methods``, any signed-in person on an active brand (applicants apply, take
    quizzes and read their own rows). ``request.is_brand_staff`` tells the view which one it
    serves; the view scopes rows to the person through ``visible_to``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method not in getattr(view, "applicant_methods", ()):
            return super().has_permission(request, view)
        if request.method not in SAFE_METHODS and getattr(request.user, "api_key_id", None):
            # Applying and taking a quiz are acts of a person; a brand's integration key is
            # not one (it used to reach the service as a user and answer 500).
            raise PermissionDenied(
                gettext("Brand API keys cannot apply or take quizzes; people do.")
            )
        viewer = viewer_for(request)
        raise_if_mfa_withheld(viewer, view.kwargs["slug"])
        brand = Brand.objects.visible_to(viewer).filter(slug=view.kwargs["slug"]).first()
        if brand is not None and viewer.is_staff_of(brand.pk):
            roles = (
                getattr(view, "read_roles", STAFF_ROLES)
                if request.method in SAFE_METHODS
                else getattr(view, "write_roles", EDITOR_ROLES)
            )
            if not viewer.is_staff_of(brand.pk, roles):
                raise PermissionDenied(role_refusal(brand))
            request.brand = brand  # type: ignore[attr-defined]
            request.is_brand_staff = True  # type: ignore[attr-defined]
            return True
        if brand is None or not brand.is_active or viewer.user_id is None:
            # API keys act for their own brand only; an inactive brand is not recruiting.
            raise NotFound(BRAND_NOT_FOUND)
        request.brand = brand  # type: ignore[attr-defined]
        request.is_brand_staff = False  # type: ignore[attr-defined]
        return True


class PublicReadBrandStaffWrite(IsBrandStaff):
    """Anyone may read an active brand's public data; only its editors may change it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            brand = (
                Brand.objects.visible_to(viewer_for(request))
                .filter(slug=view.kwargs["slug"])
                .first()
            )
            if brand is None:
                raise NotFound(gettext("No such brand."))
            request.brand = brand  # type: ignore[attr-defined]
            request.is_brand_staff = viewer_for(request).is_staff_of(brand.pk)  # type: ignore[attr-defined]
            return True
        return super().has_permission(request, view)
