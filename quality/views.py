"""HTML pages of quality: the expert's standing and history, reviews, the brand's figures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, STAFF_ROLES, viewer_for
from gigcx.web import form_add_application_error
from marketplace.models import Brand
from marketplace.views import brand_staff_page
from quality import scoring, selectors, services
from quality.forms import QualitySettingsForm, ReviewForm
from quality.models import Review
from quality.services.reviews import quality_settings_for


@login_required
def expert_standing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quality/expert_standing.html",
        {
            "standings": selectors.expert_standing(user_id=request.user.pk),
            "handled": selectors.expert_handled_assignments(user_id=request.user.pk)[:100],
            "rules": selectors.tier_rules(),
            "weights": [
                (scoring.PART_LABELS[name], weight) for name, weight in scoring.WEIGHTS.items()
            ],
            "prior_weight": scoring.CSAT_PRIOR_WEIGHT,
            "low": (scoring.LOW_RUN_COUNT, scoring.LOW_RUN_WINDOW, scoring.LOW_RATING),
            "reviews": Review.objects.visible_to(viewer_for(request))
            .filter(expert__user_id=request.user.pk, status=Review.Status.DONE)
            .select_related("expert__brand")
            .order_by("-reviewed_at")[:50],
        },
    )


@brand_staff_page()
def review_queue(request: HttpRequest, brand: Brand) -> HttpResponse:
    """The brand's QA queue. Owners and managers also set the random share here."""
    viewer = viewer_for(request)
    settings = quality_settings_for(brand.pk)
    form = QualitySettingsForm(
        request.POST or None, initial={"review_sample_percent": settings.review_sample_percent}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.quality_settings_update(
                    brand=brand, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc)
            else:
                messages.success(request, "Saved the review share.")
                return redirect("quality:review-queue", slug=brand.slug)
    reviews = (
        Review.objects.visible_to(viewer)
        .filter(brand=brand)
        .select_related("question__product", "expert__user__expert_profile", "reviewer")
    )
    return render(
        request,
        "quality/review_queue.html",
        {
            "brand": brand,
            "pending": reviews.filter(status=Review.Status.PENDING)[:100],
            "done": reviews.filter(status=Review.Status.DONE).order_by("-reviewed_at")[:50],
            "settings_form": form,
            "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        },
        status=status,
    )


@brand_staff_page(write_roles=STAFF_ROLES)
def review_page(request: HttpRequest, brand: Brand, review_id: int) -> HttpResponse:
    """Read the conversation and score it (quality reviewers, owners and managers)."""
    review = get_object_or_404(
        Review.objects.visible_to(viewer_for(request))
        .filter(brand=brand)
        .select_related("question__product", "expert__user__expert_profile", "reviewer"),
        pk=review_id,
    )
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.review_submit(review=review, reviewer=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form_add_application_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, f"Reviewed question #{review.question_id}.")
                return redirect("quality:review-queue", slug=brand.slug)
    return render(
        request,
        "quality/review.html",
        {
            "brand": brand,
            "review": review,
            "chat": review.question.messages.all(),
            "rating": selectors.rating_for_question(question_id=review.question_id),
            "form": form,
        },
        status=status,
    )
