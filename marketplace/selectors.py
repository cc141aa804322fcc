"""Reads for marketplace: who the viewer is, brands, catalogue and pool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from gigcx.tenancy import Viewer
from marketplace.models import (
    Application,
    ApplicationProduct,
    Brand,
    BrandMembership,
    Category,
    Expert,
    ExpertSkill,
    Invitation,
    Product,
    Quiz,
    QuizAttempt,
)


def viewer_load(user: Any) -> Viewer:
    """Build the viewer of an authenticated user or API key (registered in apps.py)."""
    api_key_id = getattr(user, "api_key_id", None)
    if api_key_id is not None:
        return Viewer(
            staff_roles=MappingProxyType({user.brand_id: user.role}), api_key_id=api_key_id
        )
    # Whether the person has an authenticator app rides along in the same query: staff
    # pages ask it on every request (gigcx.mfa.session_mfa_verified).
    has_app = Exists(
        Authenticator.objects.filter(user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP)
    )
    memberships = (
        BrandMembership.objects.filter(user_id=user.pk)
        .annotate(has_app=has_app)
        .values_list("brand_id", "role", "brand__require_staff_mfa", "has_app")
    )
    roles: dict[int, str] = {}
    mfa_brands: set[int] = set()
    has_mfa: bool | None = None
    for brand_id, role, brand_requires_mfa, has_app_row in memberships:
        roles[brand_id] = role
        has_mfa = bool(has_app_row)
        # Owners always need a second factor; other roles where the brand asks for it.
        if role == BrandMembership.Role.OWNER or brand_requires_mfa:
            mfa_brands.add(brand_id)
    expert_brands = frozenset(
        Expert.objects.filter(user_id=user.pk).values_list("brand_id", flat=True)
    )
    return Viewer(
        user_id=user.pk,
        staff_roles=MappingProxyType(roles),
        expert_brand_ids=expert_brands,
        is_site_admin=bool(user.is_superuser),
        mfa_brand_ids=frozenset(mfa_brands),
        has_mfa=has_mfa,
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


def pool_list(
    *,
    brand: Brand,
    viewer: Viewer,
    status: str | None = None,
    tier: str | None = None,
    product_id: int | None = None,
    verified: bool | None = None,
    language: str | None = None,
    search: str | None = None,
) -> QuerySet[Expert]:
    """The brand's pool as staff see it, filtered. Two queries whatever the page size."""
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
    if tier:
        experts = experts.filter(tier=tier)
    if product_id is not None or verified is not None:
        skill = Q()
        if product_id is not None:
            skill &= Q(skills__product_id=product_id)
        if verified is not None:
            skill &= Q(skills__verified_at__isnull=not verified)
        experts = experts.filter(pk__in=Expert.objects.filter(skill).values("pk"))
    if language:
        # JSON "contains" is not available on SQLite; the quoted code matches one list item.
        experts = experts.filter(user__expert_profile__languages__icontains=f'"{language}"')
    if search:
        term = search.strip()
        experts = experts.filter(
            Q(user__email__icontains=term)
            | Q(user__name__icontains=term)
            | Q(user__expert_profile__display_name__icontains=term)
        )
    return experts.order_by("user__email", "pk")


def pool_counts(*, brand: Brand) -> dict[str, int]:
    counts = dict(Expert.objects.filter(brand=brand).values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Expert.Status.values}


def invitation_list(
    *, brand: Brand, viewer: Viewer, state: str | None = None
) -> QuerySet[Invitation]:
    invitations = (
        Invitation.objects.visible_to(viewer)
        .filter(brand=brand)
        .select_related("invited_by", "accepted_by")
        .prefetch_related("products")
    )
    if state:
        invitations = invitations.with_state(state)
    return invitations


def application_list(
    *, brand: Brand, viewer: Viewer, status: str | None = None
) -> QuerySet[Application]:
    """Staff see the brand's applications (the review queue); anyone else their own."""
    applications = (
        Application.objects.visible_to(viewer)
        .filter(brand=brand)
        .select_related("brand", "user", "decided_by")
        .prefetch_related(
            Prefetch("items", queryset=ApplicationProduct.objects.select_related("product"))
        )
    )
    if status:
        applications = applications.filter(status=status)
    if status == Application.Status.PENDING:
        applications = applications.order_by("created_at", "pk")  # oldest first in the queue
    return applications


def quiz_list(*, brand: Brand, viewer: Viewer) -> QuerySet[Quiz]:
    return (
        Quiz.objects.visible_to(viewer)
        .filter(brand=brand)
        .select_related("product", "category")
        .annotate(question_count=Count("questions", distinct=True))
        .order_by("title", "pk")
    )


def quizzes_for_person(*, user: Any, viewer: Viewer) -> QuerySet[Quiz]:
    """Active quizzes of the brands whose pool the person is in or applying to."""
    brands = Expert.objects.filter(
        user_id=user.pk,
        status__in=[
            Expert.Status.INVITED,
            Expert.Status.APPLIED,
            Expert.Status.APPROVED,
            Expert.Status.PROBATION,
        ],
    ).values("brand_id")
    return (
        Quiz.objects.visible_to(viewer)
        .filter(brand_id__in=brands, is_active=True)
        .select_related("brand", "product", "category")
    )


# ---------------------------------------------------------------------------------------
# An applicant's history with the brand, for the review page.
#
# This app knows pool rows, skills, applications and quiz attempts. Questions answered and
# ratings live in `routing`, above this app, which must not be imported from here. Instead
# a higher app registers a provider at start-up (in its AppConfig.ready):
#
#     from marketplace.selectors import applicant_history_provider_register
#     applicant_history_provider_register(routing.selectors.applicant_question_history)
#
# and the review page shows every section the providers return.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistorySection:
    title: str
    lines: list[str]
    empty: str = "Nothing yet."


HistoryProvider = Callable[..., HistorySection | None]
_history_providers: list[HistoryProvider] = []


def applicant_history_provider_register(provider: HistoryProvider) -> None:
    """Add a section to the review page; ``provider(brand=, user=, viewer=)``. Idempotent."""
    if provider not in _history_providers:
        _history_providers.append(provider)


def applicant_history_provider_unregister(provider: HistoryProvider) -> None:
    if provider in _history_providers:
        _history_providers.remove(provider)


@dataclass
class ApplicantHistory:
    expert: Expert | None
    skills: list[ExpertSkill]
    applications: list[Application]
    attempts: list[QuizAttempt]
    sections: list[HistorySection] = field(default_factory=list)


def applicant_history(*, application: Application, viewer: Viewer) -> ApplicantHistory:
    """What the brand already knows about the applicant: only rows of this brand."""
    brand, user = application.brand, application.user
    expert = Expert.objects.visible_to(viewer).filter(brand=brand, user=user).first()
    skills = list(expert.skills.select_related("product")) if expert is not None else []
    applications = list(
        Application.objects.visible_to(viewer)
        .filter(brand=brand, user=user)
        .exclude(pk=application.pk)
        .select_related("decided_by")
    )
    attempts = list(
        QuizAttempt.objects.visible_to(viewer)
        .filter(quiz__brand=brand, user=user)
        .select_related("quiz")[:20]
    )
    sections = [
        section
        for provider in _history_providers
        if (section := provider(brand=brand, user=user, viewer=viewer)) is not None
    ]
    return ApplicantHistory(expert, skills, applications, attempts, sections)
