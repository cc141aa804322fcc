"""HTML pages of marketplace: the expert's home, brand creation and the staff dashboard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from gigcx.exceptions import ApplicationError
from gigcx.models import AuditEvent
from gigcx.tenancy import EDITOR_ROLES, STAFF_ROLES, viewer_for
from gigcx.web import form_add_application_error
from marketplace import selectors, services
from marketplace.forms import BrandForm, CategoryForm, ProductForm
from marketplace.models import Brand, BrandMembership, Product

View = Callable[..., HttpResponse]


def brand_staff_page(roles: tuple[str, ...] = STAFF_ROLES) -> Callable[[View], View]:
    """Resolve ``slug`` to a brand the viewer is staff of (404 otherwise) and pass it on."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            viewer = viewer_for(request)
            brand = Brand.objects.visible_to(viewer).staffed_by(viewer).filter(slug=slug).first()
            if brand is None:
                raise Http404("No such brand, or you are not on its staff.")
            if request.method == "POST" and not viewer.is_staff_of(brand.pk, EDITOR_ROLES):
                messages.error(
                    request, "Your role can look but not change; ask an owner or manager."
                )
                return redirect("marketplace:brand-dashboard", slug=brand.slug)
            if not viewer.is_staff_of(brand.pk, roles):
                raise Http404("No such brand, or you are not on its staff.")
            return view(request, brand, *args, **kwargs)

        return wrapper

    return decorate


@login_required
def expert_home(request: HttpRequest) -> HttpResponse:
    pools = selectors.expert_memberships_of(user=request.user)
    profile = getattr(request.user, "expert_profile", None)
    return render(
        request,
        "marketplace/expert_home.html",
        {"pools": pools, "profile": profile, "brands": Brand.objects.filter(is_active=True)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def brand_create(request: HttpRequest) -> HttpResponse:
    form = BrandForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            brand = services.brand_create(owner=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(request, f"{brand.name} is ready. Add your products next.")
            return redirect("marketplace:brand-dashboard", slug=brand.slug)
    return render(request, "marketplace/brand_create.html", {"form": form})


def _dashboard_context(request: HttpRequest, brand: Brand, **forms: Any) -> dict[str, Any]:
    viewer = viewer_for(request)
    return {
        "brand": brand,
        "role": viewer.staff_roles.get(brand.pk),
        "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        "pool_counts": selectors.pool_counts(brand=brand),
        "categories": selectors.category_list(brand=brand, viewer=viewer),
        "products": selectors.product_list(brand=brand, viewer=viewer),
        "team": BrandMembership.objects.visible_to(viewer)
        .filter(brand=brand)
        .select_related("user"),
        "recent_audit": AuditEvent.objects.visible_to(viewer)
        .filter(brand_id=brand.pk)
        .select_related("actor")[:8],
        "product_form": forms.get("product_form") or ProductForm(brand=brand),
        "category_form": forms.get("category_form") or CategoryForm(brand=brand),
    }


@brand_staff_page()
def brand_dashboard(request: HttpRequest, brand: Brand) -> HttpResponse:
    return render(request, "marketplace/brand_dashboard.html", _dashboard_context(request, brand))


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["POST"])
def product_add(request: HttpRequest, brand: Brand) -> HttpResponse:
    form = ProductForm(request.POST, brand=brand)
    if form.is_valid():
        data = form.cleaned_data
        try:
            product = services.product_create(
                brand=brand,
                actor=request.user,
                name=data["name"],
                sku=data["sku"],
                description=data["description"],
                category_id=data["category"].pk if data["category"] else None,
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc, {"category_id": "category"})
        else:
            messages.success(request, f"Added {product.name}.")
            return redirect("marketplace:brand-dashboard", slug=brand.slug)
    context = _dashboard_context(request, brand, product_form=form)
    return render(request, "marketplace/brand_dashboard.html", context, status=400)


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["POST"])
def category_add(request: HttpRequest, brand: Brand) -> HttpResponse:
    form = CategoryForm(request.POST, brand=brand)
    if form.is_valid():
        parent = form.cleaned_data["parent"]
        try:
            category = services.category_create(
                brand=brand,
                actor=request.user,
                name=form.cleaned_data["name"],
                parent_id=parent.pk if parent else None,
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc, {"parent_id": "parent"})
        else:
            messages.success(request, f"Added the category {category.name}.")
            return redirect("marketplace:brand-dashboard", slug=brand.slug)
    context = _dashboard_context(request, brand, category_form=form)
    return render(request, "marketplace/brand_dashboard.html", context, status=400)


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["POST"])
def product_archive(request: HttpRequest, brand: Brand, product_id: int) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.visible_to(viewer_for(request)), brand=brand, pk=product_id
    )
    services.product_archive(product=product, actor=request.user)
    messages.success(request, f"Archived {product.name}; customers no longer see it.")
    return redirect("marketplace:brand-dashboard", slug=brand.slug)


def brand_public(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_object_or_404(Brand.objects.visible_to(viewer_for(request)), slug=slug)
    viewer = viewer_for(request)
    return render(
        request,
        "marketplace/brand_public.html",
        {
            "brand": brand,
            "categories": selectors.brand_catalogue(brand=brand, viewer=viewer),
            "uncategorised": selectors.product_list(brand=brand, viewer=viewer).filter(
                category__isnull=True
            ),
            "expert_count": brand.experts.approved().count(),
        },
    )
