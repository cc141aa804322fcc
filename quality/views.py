"""HTML pages of quality: the expert's standing and history, reviews, the brand's figures."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gigcx.accounts import signed_in_user
from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, STAFF_ROLES, viewer_for
from gigcx.web import form_add_application_error
from marketplace.models import Brand, Expert
from marketplace.views import brand_staff_page
from quality import metrics, relationships, scoring, selectors, services
from quality.forms import QualitySettingsForm, ReviewForm
from quality.models import LeaderboardOptIn, Review
from quality.services.reviews import DROP_REVIEW_LIFT, quality_settings_for


@login_required
def expert_standing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quality/expert_standing.html",
        {
            "standings": selectors.expert_standing(user_id=signed_in_user(request).pk),
            "handled": selectors.expert_handled_assignments(user_id=signed_in_user(request).pk)[
                :100
            ],
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


@login_required
@require_POST
def leaderboard_opt(request: HttpRequest, slug: str) -> HttpResponse:
    """The expert puts herself on her brand's leaderboard, or takes herself off it."""
    expert = get_object_or_404(
        Expert.objects.visible_to(viewer_for(request)).select_related("brand"),
        brand__slug=slug,
        user_id=request.user.pk,
    )
    opted_in = request.POST.get("leaderboard") == "on"
    services.leaderboard_opt_set(expert=expert, opted_in=opted_in, actor=request.user)
    if opted_in:
        messages.success(
            request,
            gettext("You are on the %(brand)s leaderboard.") % {"brand": expert.brand.name},
        )
    else:
        messages.success(
            request,
            gettext("You are off the %(brand)s leaderboard.") % {"brand": expert.brand.name},
        )
    return redirect(f"{reverse('quality:expert-standing')}#standing-{expert.brand.slug}")


@login_required
def leaderboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's leaderboard: only experts who opted in; seen by its pool and staff."""
    brand = selectors.leaderboard_brand(viewer=viewer_for(request), slug=slug)
    mine = Expert.objects.filter(brand=brand, user_id=signed_in_user(request).pk).first()
    return render(
        request,
        "quality/leaderboard.html",
        {
            "brand": brand,
            "rows": selectors.leaderboard(brand=brand)[:100],
            "mine": mine,
            "opted_in": mine is not None and LeaderboardOptIn.objects.filter(expert=mine).exists(),
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
                messages.success(request, gettext("Saved the review share."))
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
            "drop": f"{-DROP_REVIEW_LIFT:.1f}",
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
                messages.success(
                    request,
                    gettext("Reviewed question #%(id)s.") % {"id": review.question_id},
                )
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


def _period(request: HttpRequest) -> metrics.Period:
    return metrics.period_parse(request.GET.get("from"), request.GET.get("to"))


@brand_staff_page()
def metrics_page(request: HttpRequest, brand: Brand) -> HttpResponse:
    """The brand's service figures: automated vs people, reply time, SLA, CSAT, reopens."""
    error = None
    status = 200
    try:
        period = _period(request)
    except ApplicationError as exc:
        error, status = exc, 400
        period = metrics.period_parse(None, None)
    figures = metrics.brand_metrics(brand=brand, period=period, parts=metrics.FULL)
    return render(
        request,
        "quality/metrics.html",
        {
            "brand": brand,
            "period": period,
            "figures": figures,
            "error": error,
            "query": request.GET.urlencode(),
        },
        status=status,
    )


CSV_COLUMNS = (
    "questions",
    "automated_share",
    "human_share",
    "first_human_reply_seconds",
    "sla_hit_rate",
    "ratings",
    "csat_mean",
    "csat_share",
    "csat_automated",
    "csat_human",
    "resolved",
    "reopen_rate",
    "handled",
    "escalated",
    "customers",
    "returning_customers",
    "returning_share",
    "experts_seen",
)


@brand_staff_page()
def metrics_csv(request: HttpRequest, brand: Brand) -> HttpResponse:
    try:
        period = _period(request)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    figures = metrics.brand_metrics(
        brand=brand, period=period, parts=metrics.FULL, expert_limit=None, customer_limit=None
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{brand.slug}-service-{period.start}-{period.end}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["section", "name", *CSV_COLUMNS])
    rows = [("overall", brand.name, {**figures["overall"], **figures["customers"]})]
    rows += [("product", r["product"] or "No product", r) for r in figures["by_product"]]
    rows += [("expert", r["expert"], r) for r in figures["by_expert"]]
    rows += [("customer", r["customer"], r) for r in figures["top_customers"]]
    for section, name, row in rows:
        writer.writerow(
            [
                section,
                csv_safe(name),
                *["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS],
            ]
        )
    return response


def csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@brand_staff_page()
def customer_page(request: HttpRequest, brand: Brand, customer_id: int) -> HttpResponse:
    """One customer's relationship with the brand: her questions, ratings, experts seen."""
    relationship = relationships.customer_relationship(brand=brand, customer_id=customer_id)
    if relationship is None:
        raise Http404(gettext("This person has not asked this brand anything."))
    return render(
        request,
        "quality/customer.html",
        {"brand": brand, "r": relationship, "query": request.GET.urlencode()},
    )


@brand_staff_page(EDITOR_ROLES)
@require_POST
def probation_decide(request: HttpRequest, brand: Brand, expert_id: int) -> HttpResponse:
    """Owners and managers lift an expert's probation or suspend her, with a reason."""
    expert = get_object_or_404(
        Expert.objects.visible_to(viewer_for(request)).select_related("brand", "user"),
        brand=brand,
        pk=expert_id,
    )
    try:
        services.expert_probation_decide(
            expert=expert,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ApplicationError as exc:
        problems = " ".join(" ".join(msgs) for msgs in exc.fields.values())
        messages.error(request, f"{exc.message} {problems}".strip())
    else:
        messages.success(
            request, gettext("Your decision is recorded; the expert sees your reason.")
        )
    return redirect("marketplace:pool-expert", slug=brand.slug, expert_id=expert.pk)


@never_cache
def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the "how did we do?" email: rate one resolved question, no sign-in."""
    from quality.models import Rating
    from quality.services.survey import rate_link_question

    try:
        question = rate_link_question(token)
    except ApplicationError as exc:
        return render(request, "quality/rate.html", {"invalid": exc.message}, status=404)
    context: dict[str, object] = {
        "question": question,
        "brand": question.brand,
        "rating": Rating.objects.filter(question=question).first(),
        "values": {"score": request.GET.get("score", "")},
        "errors": {},
    }
    if request.method == "POST" and context["rating"] is None:
        raw_score = request.POST.get("score", "")
        solved = request.POST.get("solved", "")
        values = {"score": raw_score, "solved": solved, "comment": request.POST.get("comment", "")}
        context["values"] = values
        errors: dict[str, list[str]] = {}
        if solved not in ("yes", "no"):
            errors["solved"] = [gettext("Say whether your problem is solved.")]
        try:
            score = int(raw_score)
        except ValueError:
            score = None
            errors["score"] = [gettext("Choose from 1 (poor) to 5 (excellent).")]
        if not errors:
            try:
                context["rating"] = services.rating_create(
                    question=question,
                    score=score,
                    solved=solved == "yes",
                    comment=values["comment"],
                    actor=request.user if request.user.is_authenticated else None,
                )
                context["thanks"] = True
            except ApplicationError as exc:
                errors = {**exc.fields} or {"form": [exc.message]}
        if errors:
            context["errors"] = errors
            return render(request, "quality/rate.html", context, status=400)
    return render(request, "quality/rate.html", context)
