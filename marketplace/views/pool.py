"""Pool pages for staff (list, one expert) and the expert's own profile page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from gigcx.accounts import signed_in_user
from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from gigcx.web import form_add_application_error, parse_id
from marketplace import selectors, services
from marketplace.forms import (
    PoolFilterForm,
    ProfileForm,
    ReasonForm,
    TierForm,
    VerifyForm,
    WindowFormSet,
)
from marketplace.models import Brand, Expert, ExpertProfile, ExpertSkill
from marketplace.views.core import brand_staff_page


@brand_staff_page()
def pool_list(request: HttpRequest, brand: Brand) -> HttpResponse:
    viewer = viewer_for(request)
    filters = PoolFilterForm(request.GET or None, brand=brand)
    data: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    verified = {"1": True, "0": False}.get(data.get("verified") or "")
    experts = selectors.pool_list(
        brand=brand,
        viewer=viewer,
        status=data.get("status") or None,
        tier=data.get("tier") or None,
        product_id=data["product"].pk if data.get("product") else None,
        verified=verified,
        language=data.get("language") or None,
        search=data.get("q") or None,
    )
    page = Paginator(experts, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "marketplace/pool.html",
        {
            "brand": brand,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "counts": selectors.pool_counts(brand=brand),
            "filtered": any(data.values()) if data else False,
        },
    )


@brand_staff_page()
@require_http_methods(["GET", "POST"])
def pool_expert(request: HttpRequest, brand: Brand, expert_id: int) -> HttpResponse:
    viewer = viewer_for(request)
    expert = get_object_or_404(selectors.pool_list(brand=brand, viewer=viewer), pk=expert_id)
    action = request.POST.get("action", "")
    post = request.POST if request.method == "POST" else None
    forms: dict[str, Any] = {
        "suspend_form": ReasonForm(post if action == "suspend" else None, prefix="suspend"),
        "reinstate_form": ReasonForm(post if action == "reinstate" else None, prefix="reinstate"),
        "tier_form": TierForm(post if action == "tier" else None, initial={"tier": expert.tier}),
    }
    status = 200
    if request.method == "POST":
        status = 400
        try:
            done = _pool_action(request, expert, action, forms)
        except ApplicationError as exc:
            target = forms.get(f"{action}_form")
            if target is not None:
                form_add_application_error(target, exc)
            else:
                messages.error(request, exc.message)
            done = None
        if done:
            messages.success(request, done)
            return redirect("marketplace:pool-expert", slug=brand.slug, expert_id=expert.pk)
    skills = [(skill, VerifyForm(initial={"level": skill.level})) for skill in expert.skills.all()]
    # Pages are the outer ring and may read any app's selectors: her quality standing.
    from quality.selectors import expert_latest_score

    return render(
        request,
        "marketplace/pool_expert.html",
        {
            "brand": brand,
            "score": expert_latest_score(expert=expert, viewer=viewer),
            "expert": expert,
            "profile": getattr(expert.user, "expert_profile", None),
            "skills": skills,
            "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
            **forms,
        },
        status=status,
    )


def _pool_action(
    request: HttpRequest, expert: Expert, action: str, forms: dict[str, Any]
) -> str | None:
    """Run one staff action from the expert page; returns the success message."""
    name = expert.user.display_name
    if action in ("suspend", "reinstate"):
        form = forms[f"{action}_form"]
        if not form.is_valid():
            return None
        if action == "suspend":
            services.expert_suspend(
                expert=expert, actor=request.user, reason=form.cleaned_data["reason"]
            )
            return gettext("%(name)s is suspended; they see your reason.") % {"name": name}
        services.expert_reinstate(
            expert=expert, actor=request.user, reason=form.cleaned_data["reason"]
        )
        return gettext("%(name)s is back in the pool.") % {"name": name}
    if action == "tier":
        form = forms["tier_form"]
        if not form.is_valid():
            return None
        services.expert_tier_set(expert=expert, tier=form.cleaned_data["tier"], actor=request.user)
        return gettext("%(name)s is now in the %(tier)s tier.") % {
            "name": name,
            "tier": expert.get_tier_display(),
        }
    if action in ("verify", "unverify"):
        skill = get_object_or_404(
            ExpertSkill.objects.visible_to(viewer_for(request)),
            expert=expert,
            pk=parse_id(request.POST.get("skill")),
        )
        if action == "unverify":
            services.expert_skill_unverify(skill=skill, actor=request.user)
            return gettext("Withdrew the verification of %(product)s.") % {
                "product": skill.product.name
            }
        form = VerifyForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(gettext("Choose a level from 1 to 5."))
        services.expert_skill_verify(
            skill=skill, level=form.cleaned_data["level"], actor=request.user
        )
        return gettext("Verified %(product)s at level %(level)s.") % {
            "product": skill.product.name,
            "level": form.cleaned_data["level"],
        }
    raise Http404(gettext("No such action."))


@login_required
@require_http_methods(["GET", "POST"])
def expert_profile(request: HttpRequest) -> HttpResponse:
    profile = (
        ExpertProfile.objects.visible_to(viewer_for(request))
        .filter(user_id=request.user.pk)
        .first()
    )
    if profile is not None:
        initial = {
            field: getattr(profile, field)
            for field in (
                "display_name",
                "bio",
                "languages",
                "timezone",
                "capacity",
                "notify_offers_browser",
                "notify_offers_email",
                "notify_program_email",
                "notify_surge_alerts",
            )
        }
        windows = [
            {"weekday": w.weekday, "start": w.start, "end": w.end}
            for w in profile.availability.all()
        ]
    else:
        initial = {
            "display_name": signed_in_user(request).display_name,
            "languages": ["en"],
            "timezone": "UTC",
            "capacity": 2,
            "notify_offers_browser": True,
            "notify_program_email": True,
        }
        windows = []
    form = ProfileForm(request.POST or None, initial=initial)
    formset = WindowFormSet(request.POST or None, initial=windows, prefix="windows")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and formset.is_valid():
            availability = [
                (row["weekday"], row["start"], row["end"])
                for row in formset.cleaned_data
                if row and not row.get("DELETE") and row.get("weekday") is not None
            ]
            try:
                services.expert_profile_update(
                    user=signed_in_user(request), availability=availability, **form.cleaned_data
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc)
                if "availability" in exc.fields:
                    form.add_error(None, " ".join(exc.fields["availability"]))
            else:
                messages.success(request, gettext("Your profile is saved."))
                return redirect("marketplace:expert-profile")
    return render(
        request,
        "marketplace/expert_profile.html",
        {"form": form, "formset": formset, "profile": profile},
        status=status,
    )
