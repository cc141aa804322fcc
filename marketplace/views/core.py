"""HTML pages of marketplace: the expert's home, brand creation, the staff dashboard and
the catalogue (editing and CSV import)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from gigcx.accounts import signed_in_user
from gigcx.exceptions import ApplicationError
from gigcx.mfa import mfa_required_url
from gigcx.models import AuditEvent
from gigcx.tenancy import EDITOR_ROLES, OWNER, STAFF_ROLES, viewer_for
from gigcx.web import form_add_application_error
from marketplace import selectors, services
from marketplace.csv_rows import CsvReport, csv_decode
from marketplace.forms import (
    BrandDetailsForm,
    BrandForm,
    CategoryEditForm,
    CategoryForm,
    CsvUploadForm,
    ProductForm,
)
from marketplace.models import Application, Brand, BrandMembership, Category, Invitation, Product
from marketplace.permissions import mfa_withheld_brand

View = Callable[..., HttpResponseBase]


def brand_staff_page(
    roles: tuple[str, ...] = STAFF_ROLES, write_roles: tuple[str, ...] = EDITOR_ROLES
) -> Callable[[View], View]:
    """Resolve ``slug`` to a brand the viewer is staff of (404 otherwise) and pass it on.
    POSTs take one of ``write_roles`` (owners and managers unless a page says otherwise, as
    the QA review form does)."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            viewer = viewer_for(request)
            brand = Brand.objects.visible_to(viewer).staffed_by(viewer).filter(slug=slug).first()
            if brand is None:
                if mfa_withheld_brand(viewer, slug) is not None:
                    # Their role here needs a second factor: say so instead of "not found".
                    return redirect(mfa_required_url(request.get_full_path()))
                raise Http404(gettext("No such brand, or you are not on its staff."))
            if request.method == "POST" and not viewer.is_staff_of(brand.pk, write_roles):
                if set(write_roles) == {OWNER}:
                    refusal = gettext("Your role can look but not change; ask an owner.")
                else:
                    refusal = gettext("Your role can look but not change; ask an owner or manager.")
                messages.error(request, refusal)
                return redirect("marketplace:brand-dashboard", slug=brand.slug)
            if not viewer.is_staff_of(brand.pk, roles):
                raise Http404(gettext("No such brand, or you are not on its staff."))
            return view(request, brand, *args, **kwargs)

        return wrapper

    return decorate


@login_required
def expert_home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request)
    pools = selectors.expert_memberships_of(user=request.user)
    profile = getattr(request.user, "expert_profile", None)
    quizzes = list(selectors.quizzes_for_person(user=request.user, viewer=viewer))
    for quiz in quizzes:
        quiz.next_attempt_at = services.quiz_next_attempt_at(
            quiz=quiz, user=signed_in_user(request)
        )
    applications = (
        Application.objects.visible_to(viewer)
        .filter(user=request.user)
        .select_related("brand")[:10]
    )
    return render(
        request,
        "marketplace/expert_home.html",
        {
            "pools": pools,
            "profile": profile,
            "quizzes": quizzes,
            "applications": applications,
            "brands": Brand.objects.visible_to(viewer).filter(is_active=True),
        },
    )


def _role_label(role: str | None) -> str:
    """ "qa" -> "the brand's quality reviewer": what a person reads at the top of the page."""
    if role is None:
        return gettext("site staff")
    labels = {
        BrandMembership.Role.OWNER: gettext("the brand's owner"),
        BrandMembership.Role.MANAGER: gettext("the brand's manager"),
        BrandMembership.Role.QA: gettext("the brand's quality reviewer"),
    }
    return labels[BrandMembership.Role(role)]


@login_required
@require_http_methods(["GET", "POST"])
def brand_create(request: HttpRequest) -> HttpResponse:
    form = BrandForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            brand = services.brand_create(owner=signed_in_user(request), **form.cleaned_data)
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(
                request,
                gettext("%(brand)s is ready. Add your products next.") % {"brand": brand.name},
            )
            return redirect("marketplace:brand-dashboard", slug=brand.slug)
    return render(request, "marketplace/brand_create.html", {"form": form})


def _dashboard_context(request: HttpRequest, brand: Brand, **forms: Any) -> dict[str, Any]:
    # Pages are the outer ring and may read any app's selectors: the service summary.
    from quality import metrics

    viewer = viewer_for(request)
    return {
        "service": metrics.brand_metrics_overall(
            brand=brand, period=metrics.period_parse(None, None)
        ),
        "brand": brand,
        "role_label": _role_label(viewer.staff_roles.get(brand.pk)),
        "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        "is_owner": viewer.is_staff_of(brand.pk, (BrandMembership.Role.OWNER,)),
        "pool_counts": selectors.pool_counts(brand=brand),
        "categories": selectors.category_list(brand=brand, viewer=viewer),
        "products": selectors.product_list(brand=brand, viewer=viewer),
        # Who has an authenticator app: an owner deciding to require it sees who it stops.
        "team": BrandMembership.objects.visible_to(viewer)
        .filter(brand=brand)
        .select_related("user")
        .annotate(
            has_app=Exists(
                Authenticator.objects.filter(
                    user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP
                )
            )
        ),
        "recent_audit": AuditEvent.objects.visible_to(viewer)
        .filter(brand_id=brand.pk)
        .select_related("actor")[:8],
        "pending_applications": Application.objects.visible_to(viewer)
        .filter(brand=brand, status=Application.Status.PENDING)
        .count(),
        "pending_invitations": Invitation.objects.visible_to(viewer)
        .filter(brand=brand)
        .with_state(Invitation.State.PENDING)
        .count(),
        "product_form": forms.get("product_form") or ProductForm(brand=brand),
        "category_form": forms.get("category_form") or CategoryForm(brand=brand),
    }


@brand_staff_page()
def brand_dashboard(request: HttpRequest, brand: Brand) -> HttpResponse:
    return render(request, "marketplace/brand_dashboard.html", _dashboard_context(request, brand))


@brand_staff_page()
def brand_details(request: HttpRequest, brand: Brand) -> HttpResponse:
    """The brand's name, tagline, website and languages: owners and managers edit them,
    quality reviewers read them."""
    can_edit = viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES)
    initial = {
        "name": brand.name,
        "tagline": brand.tagline,
        "website": brand.website,
        "languages": brand.languages,
        "anonymous_questions_per_hour": brand.anonymous_questions_per_hour,
        "questions_per_customer_per_day": brand.questions_per_customer_per_day,
    }
    form = BrandDetailsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":  # brand_staff_page turned other roles' posts away already
        status = 400
        if form.is_valid():
            try:
                services.brand_update(brand=brand, actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form_add_application_error(form, exc)
            else:
                messages.success(request, gettext("Saved. Your pages show the new details now."))
                return redirect("marketplace:brand-details", slug=brand.slug)
    return render(
        request,
        "marketplace/brand_details.html",
        {"brand": brand, "form": form, "can_edit": can_edit},
        status=status,
    )


@brand_staff_page(write_roles=(BrandMembership.Role.OWNER,))
@require_http_methods(["POST"])
def brand_security_update(request: HttpRequest, brand: Brand) -> HttpResponse:
    """The owner's switch: every member of the staff needs two-factor authentication."""
    required = request.POST.get("require_staff_mfa") == "on"
    services.brand_update(brand=brand, actor=request.user, require_staff_mfa=required)
    if required:
        messages.success(
            request,
            gettext(
                "Everyone on the staff now needs two-factor authentication; those without it "
                "are asked to set it up before they can open these pages."
            ),
        )
    else:
        messages.success(request, gettext("Only owners now need two-factor authentication."))
    return redirect(reverse("marketplace:brand-dashboard", args=[brand.slug]) + "#team")


@brand_staff_page(write_roles=(BrandMembership.Role.OWNER,))
@require_http_methods(["POST"])
def brand_retention_update(request: HttpRequest, brand: Brand) -> HttpResponse:
    """The owner's retention setting: days after resolution before conversation text goes."""
    days = request.POST.get("conversation_retention_days", "").strip()
    try:
        services.brand_update(brand=brand, actor=request.user, conversation_retention_days=days)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if brand.conversation_retention_days is None:
            messages.success(
                request, gettext("Conversations are now kept until someone deletes them.")
            )
        else:
            messages.success(
                request,
                ngettext(
                    "The text of resolved conversations is now deleted %(days)d day after "
                    "they were resolved; ratings, times and money records stay.",
                    "The text of resolved conversations is now deleted %(days)d days after "
                    "they were resolved; ratings, times and money records stay.",
                    brand.conversation_retention_days,
                )
                % {"days": brand.conversation_retention_days},
            )
    return redirect(reverse("marketplace:brand-dashboard", args=[brand.slug]) + "#retention")


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["POST"])
def product_add(request: HttpRequest, brand: Brand) -> HttpResponse:
    form = ProductForm(request.POST, brand=brand)
    if form.is_valid():
        try:
            product = services.product_create(
                brand=brand,
                actor=request.user,
                **form.service_fields(),
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc, {"category_id": "category"})
        else:
            messages.success(request, gettext("Added %(name)s.") % {"name": product.name})
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
            messages.success(
                request, gettext("Added the category %(name)s.") % {"name": category.name}
            )
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
    messages.success(
        request,
        gettext("Archived %(name)s; customers no longer see it.") % {"name": product.name},
    )
    return redirect("marketplace:brand-dashboard", slug=brand.slug)


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, brand: Brand, product_id: int) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.visible_to(viewer_for(request)), brand=brand, pk=product_id
    )
    initial = {
        "name": product.name,
        "category": product.category_id,
        "sku": product.sku,
        "description": product.description,
    }
    form = ProductForm(request.POST or None, brand=brand, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(
                product=product,
                actor=request.user,
                **form.service_fields(),
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc, {"category_id": "category"})
        else:
            messages.success(request, gettext("Saved %(name)s.") % {"name": product.name})
            return redirect("marketplace:brand-dashboard", slug=brand.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "marketplace/product_edit.html",
        {"brand": brand, "product": product, "form": form},
        status=status,
    )


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, brand: Brand, category_id: int) -> HttpResponse:
    category = get_object_or_404(
        Category.objects.visible_to(viewer_for(request)), brand=brand, pk=category_id
    )
    form = CategoryEditForm(
        request.POST or None,
        brand=brand,
        category=category,
        initial={"name": category.name, "parent": category.parent_id},
    )
    if request.method == "POST" and form.is_valid():
        parent = form.cleaned_data["parent"]
        try:
            services.category_update(
                category=category,
                actor=request.user,
                name=form.cleaned_data["name"],
                parent_id=parent.pk if parent else None,
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc, {"parent_id": "parent"})
        else:
            messages.success(
                request, gettext("Saved the category %(name)s.") % {"name": category.name}
            )
            return redirect("marketplace:brand-dashboard", slug=brand.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "marketplace/category_edit.html",
        {"brand": brand, "category": category, "form": form},
        status=status,
    )


# ---------------------------------------------------------------------------------------
# CSV imports, as pages: upload -> preview with a per-row report -> confirm.
# The confirmation carries the previewed file back signed (so it is exactly the file that
# was previewed) and the service validates it again against the database as it is now.
# ---------------------------------------------------------------------------------------

IMPORT_MAX_AGE = 3600  # a preview can be confirmed within an hour


def csv_import_flow(
    request: HttpRequest,
    brand: Brand,
    *,
    salt: str,
    validate: Callable[[str], CsvReport],
    commit: Callable[[str, bool], tuple[CsvReport, list[Any]]],
    page: dict[str, Any],
    done: Callable[[int], HttpResponse],
) -> HttpResponse:
    context: dict[str, Any] = {"brand": brand, "upload": CsvUploadForm(), **page}
    status = 200
    if request.method == "POST" and "payload" in request.POST:
        try:
            text = signing.loads(request.POST["payload"], salt=salt, max_age=IMPORT_MAX_AGE)
        except signing.BadSignature:
            messages.error(
                request, gettext("That preview is too old or was changed; upload the file again.")
            )
            return redirect(request.path)
        only_valid = request.POST.get("only_valid") == "1"
        try:
            _, created = commit(text, only_valid)
        except ApplicationError as exc:
            context["error"] = exc.message
            status = 400
            try:
                context["report"] = validate(text)
                context["payload"] = request.POST["payload"]
            except ApplicationError:
                pass
        else:
            return done(len(created))
    elif request.method == "POST":
        upload = CsvUploadForm(request.POST, request.FILES)
        context["upload"] = upload
        if upload.is_valid():
            try:
                text = csv_decode(upload.cleaned_data["file"].read())
                context["report"] = validate(text)
            except ApplicationError as exc:
                form_add_application_error(upload, exc)
                status = 400
            else:
                context["payload"] = signing.dumps(text, salt=salt, compress=True)
        else:
            status = 400
    return render(request, "marketplace/csv_import.html", context, status=status)


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["GET", "POST"])
def catalogue_import(request: HttpRequest, brand: Brand) -> HttpResponse:
    def done(count: int) -> HttpResponse:
        messages.success(
            request,
            ngettext("Imported %(count)d product.", "Imported %(count)d products.", count)
            % {"count": count},
        )
        return redirect("marketplace:brand-dashboard", slug=brand.slug)

    return csv_import_flow(
        request,
        brand,
        salt="gigcx.marketplace.catalogue-import",
        validate=lambda text: services.catalogue_import_validate(brand=brand, text=text),
        commit=lambda text, only_valid: services.catalogue_import(
            brand=brand, text=text, actor=request.user, only_valid=only_valid
        ),
        page={
            "title": gettext("Import products"),
            "what": gettext("products"),
            "back": ("marketplace:brand-dashboard", gettext("Back to the dashboard")),
            "columns": [
                ("name", gettext("required; unique in your catalogue")),
                (
                    "category",
                    gettext("optional; a path such as Footwear / Running (created if new)"),
                ),
                ("sku", gettext("optional; unique")),
                ("description", gettext("optional")),
            ],
            "sample": "name,category,sku,description\n"
            "Summit GTX Boot,Footwear,SGB,Waterproof leather hiking boot\n"
            "Trail Runner 3,Footwear / Running,TR3,",
        },
        done=done,
    )


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
