"""Reads for marketplace: who the viewer is, brands, catalogue and pool."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from gigcx.tenancy import Viewer
from marketplace.models import (
    Brand,
    BrandMembership,
    Category,
    Expert,
    ExpertSkill,
    Product,
)


def viewer_load(user: Any) -> Viewer:
    """Build the viewer of an authenticated user or API key (registered in apps.py)."""
    api_key_id = getattr(user, "api_key_id", None)
    if api_key_id is not None:
        return Viewer(
            staff_roles=MappingProxyType({user.brand_id: user.role}), api_key_id=api_key_id
        )
    roles = dict(BrandMembership.objects.filter(user_id=user.pk).values_list("brand_id", "role"))
    expert_brands = frozenset(
        Expert.objects.filter(user_id=user.pk).values_list("brand_id", flat=True)
    )
    return Viewer(
        user_id=user.pk,
        staff_roles=MappingProxyType(roles),
        expert_brand_ids=expert_brands,
        is_site_admin=bool(user.is_superuser),
    )


def memberships_of(*, user: Any) -> QuerySet[BrandMembership]:
    return BrandMembership.objects.filter(user_id=user.pk).select_related("brand")


def expert_memberships_of(*, user: Any) -> QuerySet[Expert]:
    return (
        Expert.objects.filter(user_id=user.pk)
        .select_related("brand")
        .prefetch_related(
            Prefetch("skills", queryset=ExpertSkill.objects.select_related("product"))
        )
    )


def brand_catalogue(*, brand: Brand, viewer: Viewer) -> QuerySet[Category]:
    """Categories with their live products, for the brand's public page (staff see the
    same page as customers; archived rows are on the dashboard)."""
    products = Product.objects.visible_to(viewer).filter(brand=brand, is_archived=False)
    return (
        Category.objects.visible_to(viewer)
        .filter(brand=brand, is_archived=False)
        .select_related("parent")
        .prefetch_related(Prefetch("products", queryset=products))
    )


def product_list(
    *, brand: Brand, viewer: Viewer, include_archived: bool = False
) -> QuerySet[Product]:
    products = Product.objects.visible_to(viewer).filter(brand=brand).select_related("category")
    if not include_archived:
        products = products.filter(is_archived=False)
    return products


def category_list(*, brand: Brand, viewer: Viewer) -> QuerySet[Category]:
    return (
        Category.objects.visible_to(viewer)
        .filter(brand=brand, is_archived=False)
        .annotate(product_count=Count("products", filter=Q(products__is_archived=False)))
        .select_related("parent")
        .order_by("name", "pk")
    )


def pool_list(*, brand: Brand, viewer: Viewer, status: str | None = None) -> QuerySet[Expert]:
    experts = (
        Expert.objects.visible_to(viewer)
        .filter(brand=brand)
        .select_related("user", "user__expert_profile")
        .prefetch_related(
            Prefetch("skills", queryset=ExpertSkill.objects.select_related("product"))
        )
    )
    if status:
        experts = experts.filter(status=status)
    return experts


def pool_counts(*, brand: Brand) -> dict[str, int]:
    counts = dict(Expert.objects.filter(brand=brand).values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Expert.Status.values}
