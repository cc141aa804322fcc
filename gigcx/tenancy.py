"""The one mechanism that scopes every queryset by what the requesting user may see.

A request is turned into a :class:`Viewer` once (cached on the request). Every model that a
web page or API can reach has a queryset with ``visible_to(viewer)``; views build their
querysets only through it (``Model.objects.visible_to(viewer_for(request))``), and a test
walks every model of our apps to make sure none is left without it.

The brand always comes from the viewer's memberships, never from request data: a staff URL
names a brand by slug, and :func:`brand_for_staff` answers 404 (not 403) when the viewer is
not staff of it, so another brand's existence is not revealed.

Memberships live in ``marketplace`` (above this core app), so marketplace registers the
function that loads them at start-up (:func:`register_viewer_loader`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Self

from django.db import models
from django.http import HttpRequest

OWNER, MANAGER, QA = "owner", "manager", "qa"
STAFF_ROLES = (OWNER, MANAGER, QA)
# Roles that may change a brand's catalogue, settings and pool; QA reviews and reads.
EDITOR_ROLES = (OWNER, MANAGER)


@dataclass(frozen=True)
class Viewer:
    """Who is asking, reduced to what scoping needs."""

    user_id: int | None = None
    staff_roles: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    expert_brand_ids: frozenset[int] = frozenset()
    is_site_admin: bool = False
    api_key_id: int | None = None
    # Brands whose role this person may use only in a session confirmed with a second factor
    # (owner anywhere; any role where the brand requires it). See gigcx.mfa.
    mfa_brand_ids: frozenset[int] = frozenset()
    # Whether the person has an authenticator app, when the loader learnt it for free.
    has_mfa: bool | None = None
    # Set by viewer_for() when the session lacks that factor: these roles were withheld.
    mfa_withheld_brand_ids: frozenset[int] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.api_key_id is not None

    def staff_brand_ids(self, roles: Iterable[str] = STAFF_ROLES) -> list[int]:
        wanted = set(roles)
        return [brand_id for brand_id, role in self.staff_roles.items() if role in wanted]

    def is_staff_of(self, brand_id: int, roles: Iterable[str] = STAFF_ROLES) -> bool:
        return self.staff_roles.get(brand_id) in set(roles)


ANONYMOUS = Viewer()

ViewerLoader = Callable[[Any], Viewer]
_loader: ViewerLoader | None = None


def register_viewer_loader(loader: ViewerLoader) -> None:
    global _loader
    _loader = loader


def viewer_for_user(user: Any) -> Viewer:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    if _loader is None:  # pragma: no cover - marketplace always registers one
        raise RuntimeError("No viewer loader registered; is 'marketplace' installed?")
    return _loader(user)


def viewer_for(request: HttpRequest) -> Viewer:
    """The viewer of this request, computed once per request.

    A person whose staff roles (or site-admin rights) need a second factor, in a session
    that has not been confirmed with one, gets a viewer without them: every scoped query
    and permission check then treats them as a customer, and the pages that would have used
    the role say why (``mfa_withheld_brand_ids``). Brand API keys are not people and keep
    their role.
    """
    cached = getattr(request, "_gigcx_viewer", None)
    if cached is not None and cached[0] is request.user:
        return cached[1]
    viewer = viewer_for_user(request.user)
    if viewer.api_key_id is None and (viewer.mfa_brand_ids or viewer.is_site_admin):
        from gigcx.mfa import session_mfa_verified

        if not session_mfa_verified(request, has_mfa=viewer.has_mfa):
            withheld = viewer.mfa_brand_ids
            viewer = replace(
                viewer,
                staff_roles=MappingProxyType(
                    {b: r for b, r in viewer.staff_roles.items() if b not in withheld}
                ),
                is_site_admin=False,
                mfa_brand_ids=frozenset(),
                mfa_withheld_brand_ids=withheld,
            )
    request._gigcx_viewer = (request.user, viewer)  # type: ignore[attr-defined]
    return viewer


class ScopedQuerySet(models.QuerySet):
    """Base for the querysets of every model a request can reach."""

    def visible_to(self, viewer: Viewer) -> Self:
        raise NotImplementedError(f"{self.model.__name__} must define visible_to(viewer)")

    def _site_admin_or(self, viewer: Viewer, condition: models.Q) -> Self:
        if viewer.is_site_admin:
            return self.all()
        return self.filter(condition)
