"""Recruitment pages: invitations (staff and the invitee's link), the application form, the
review queue, and quizzes (staff write them, applicants take them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from gigcx.accounts import signed_in_user
from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from gigcx.throttling import rate_limited
from gigcx.web import form_add_application_error
from marketplace import selectors, services
from marketplace.forms import (
    ApplicationForm,
    ApproveForm,
    InvitationForm,
    QuizForm,
    QuizTakeForm,
    RejectForm,
)
from marketplace.models import Application, Brand, Expert, Invitation, Product
from marketplace.views.core import brand_staff_page, csv_import_flow

# ---------------------------------------------------------------------------------------
# Invitations: staff side
# ---------------------------------------------------------------------------------------


def _invitations_context(request: HttpRequest, brand: Brand, **extra: Any) -> dict[str, Any]:
    viewer = viewer_for(request)
    state = request.GET.get("state") or ""
    if state not in Invitation.State.values:
        state = ""
    invitations = selectors.invitation_list(brand=brand, viewer=viewer, state=state or None)
    return {
        "brand": brand,
        "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        "invitations": invitations[:200],
        "state": state,
        "states": Invitation.State.choices,
        "form": extra.get("form") or InvitationForm(brand=brand),
    }


@brand_staff_page()
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest, brand: Brand) -> HttpResponse:
    if request.method == "POST":
        form = InvitationForm(request.POST, brand=brand)
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    brand=brand,
                    email=form.cleaned_data["email"],
                    product_ids=[p.pk for p in form.cleaned_data["products"]],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc, {"product_ids": "products"})
            else:
                messages.success(
                    request, gettext("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
                return redirect("marketplace:invitations", slug=brand.slug)
        context = _invitations_context(request, brand, form=form)
        return render(request, "marketplace/invitations.html", context, status=400)
    return render(request, "marketplace/invitations.html", _invitations_context(request, brand))


@brand_staff_page(EDITOR_ROLES)
@require_http_methods(["GET", "POST"])
def invitation_import(request: HttpRequest, brand: Brand) -> HttpResponse:
    def done(count: int) -> HttpResponse:
        messages.success(
            request,
            ngettext("Sent %(count)d invitation.", "Sent %(count)d invitations.", count)
            % {"count": count},
        )
        return redirect("marketplace:invitations", slug=brand.slug)

    return csv_import_flow(
        request,
        brand,
        salt="gigcx.marketplace.invitation-import",
        validate=lambda text: services.invitation_import_validate(brand=brand, text=text),
        commit=lambda text, only_valid: services.invitation_import(
            brand=brand, text=text, actor=request.user, only_valid=only_valid
        ),
        page={
            "title": gettext("Invite purchasers"),
            "what": gettext("invitations"),
            "back": ("marketplace:invitations", gettext("Back to invitations")),
            "columns": [
                ("email", gettext("required")),
                ("products", gettext("optional; SKUs or product names separated by ;")),
                ("name", gettext("optional; for your records")),
            ],
            "sample": "email,products\nkim@example.com,TB2;SGB\nlee@example.com,Ridgeline 2P Tent",
        },
        done=done,
    )


@brand_staff_page(EDITOR_ROLES)
@require_POST
def invitation_action(
    request: HttpRequest, brand: Brand, invitation_id: int, action: str
) -> HttpResponse:
    invitation = get_object_or_404(
        selectors.invitation_list(brand=brand, viewer=viewer_for(request)), pk=invitation_id
    )
    operations = {"resend": services.invitation_resend, "revoke": services.invitation_revoke}
    if action not in operations:
        raise Http404(gettext("No such action."))
    try:
        operations[action](invitation=invitation, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if action == "resend":
            done = gettext("You sent a new link to %(email)s.")
        else:
            done = gettext("You revoked the invitation of %(email)s.")
        messages.success(request, done % {"email": invitation.email})
    return redirect("marketplace:invitations", slug=brand.slug)


# ---------------------------------------------------------------------------------------
# Invitations: the invitee's link
# ---------------------------------------------------------------------------------------


def _invitation_error(request: HttpRequest, exc: ApplicationError, **extra: Any) -> HttpResponse:
    return render(
        request,
        "marketplace/invitation.html",
        {"error": exc.message, "code": exc.code, **extra},
        status=exc.status_code,
    )


@require_http_methods(["GET"])
def invitation_landing(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token=token)
        if invitation.accepted_by_id is not None and invitation.accepted_by_id == request.user.pk:
            # Opening the email again after accepting: carry on where they left off.
            return redirect("marketplace:apply", slug=invitation.brand.slug)
        services.invitation_usable_check(invitation)
    except ApplicationError as exc:
        return _invitation_error(request, exc)
    link = request.path
    return render(
        request,
        "marketplace/invitation.html",
        {
            "invitation": invitation,
            "brand": invitation.brand,
            "products": invitation.products.filter(is_archived=False),
            "token": token,
            "login_url": reverse("account_login") + "?" + urlencode({"next": link}),
        },
    )


@require_POST
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        # Creating an account through the link: the link proves the address, so allauth
        # marks it verified (its documented "stash" for invitations) and the person can go
        # straight on to apply.
        try:
            invitation = services.invitation_from_token(token=token)
            services.invitation_usable_check(invitation)
        except ApplicationError as exc:
            return _invitation_error(request, exc)
        get_adapter(request).stash_verified_email(request, invitation.email)
        link = reverse("marketplace:invitation", kwargs={"token": token})
        query = urlencode({"next": link, "email": invitation.email})
        return redirect(reverse("account_signup") + "?" + query)
    try:
        invitation = services.invitation_accept(token=token, user=request.user)
    except ApplicationError as exc:
        return _invitation_error(request, exc)
    messages.success(
        request,
        gettext("Welcome to the %(brand)s advocate program. Tell us what you know.")
        % {"brand": invitation.brand.name},
    )
    return redirect("marketplace:apply", slug=invitation.brand.slug)


# ---------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------


def _active_brand(request: HttpRequest, slug: str) -> Brand:
    brand = Brand.objects.visible_to(viewer_for(request)).filter(slug=slug, is_active=True).first()
    if brand is None:
        raise Http404(gettext("No such brand."))
    return brand


@require_http_methods(["GET", "POST"])
@rate_limited("apply")
def application_form(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's 'become an expert' page: the pitch for everyone, the form once signed in."""
    brand = _active_brand(request, slug)
    context: dict[str, Any] = {"brand": brand}
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect(reverse("account_login") + "?" + urlencode({"next": request.path}))
        context["next"] = urlencode({"next": request.path})
        return render(request, "marketplace/apply.html", context)
    viewer = viewer_for(request)
    applications = Application.objects.visible_to(viewer).filter(brand=brand, user=request.user)
    pending = applications.filter(status=Application.Status.PENDING).first()
    latest = applications.first()
    expert = Expert.objects.visible_to(viewer).filter(brand=brand, user=request.user).first()
    products = list(Product.objects.visible_to(viewer).filter(brand=brand, is_archived=False))
    prefill = services.application_prefill(brand=brand, user=request.user)
    profile = getattr(request.user, "expert_profile", None)
    initial: dict[str, Any] = {f"level_{pk}": str(level) for pk, level in prefill.items()}
    if profile is not None:
        initial["languages"] = [code for code in profile.languages if code in brand.languages]
    else:  # English when the brand serves it, else the brand's first language
        initial["languages"] = ["en"] if "en" in brand.languages else brand.languages[:1]
    form = ApplicationForm(
        request.POST or None, products=products, languages=brand.languages, initial=initial
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.application_submit(
                    brand=brand,
                    user=request.user,
                    items=form.items(),
                    languages=form.cleaned_data["languages"],
                    motivation=form.cleaned_data["motivation"],
                    accept_terms=form.cleaned_data["accept_terms"],
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc)
            else:
                messages.success(
                    request,
                    gettext(
                        "Thank you! %(brand)s will review your application. Meanwhile, take a "
                        "product quiz to verify what you know."
                    )
                    % {"brand": brand.name},
                )
                return redirect("marketplace:expert-home")
    in_pool = expert is not None and expert.status in ("approved", "probation", "suspended")
    context.update(
        form=form,
        pending=pending,
        latest=latest,
        expert=expert,
        in_pool=in_pool,
        prefilled=bool(prefill),
        quizzes=selectors.quizzes_for_person(user=request.user, viewer=viewer).filter(brand=brand),
    )
    return render(request, "marketplace/apply.html", context, status=status)


# ---------------------------------------------------------------------------------------
# Review queue (staff)
# ---------------------------------------------------------------------------------------


@brand_staff_page()
def application_queue(request: HttpRequest, brand: Brand) -> HttpResponse:
    status = request.GET.get("status") or Application.Status.PENDING
    if status not in Application.Status.values:
        status = Application.Status.PENDING
    applications = selectors.application_list(
        brand=brand, viewer=viewer_for(request), status=status
    )
    return render(
        request,
        "marketplace/applications.html",
        {
            "brand": brand,
            "applications": applications[:200],
            "status": status,
            "statuses": Application.Status.choices,
        },
    )


@brand_staff_page()
@require_http_methods(["GET", "POST"])
def application_review(request: HttpRequest, brand: Brand, application_id: int) -> HttpResponse:
    viewer = viewer_for(request)
    application = get_object_or_404(
        selectors.application_list(brand=brand, viewer=viewer), pk=application_id
    )
    approve_form = ApproveForm(request.POST if "approve" in request.POST else None)
    reject_form = RejectForm(request.POST if "reject" in request.POST else None)
    status = 200
    if request.method == "POST":
        status = 400
        form = approve_form if "approve" in request.POST else reject_form
        if form.is_valid():
            try:
                if form is approve_form:
                    services.application_approve(
                        application=application, actor=request.user, **form.cleaned_data
                    )
                    done = gettext("%(name)s is now in the pool.") % {
                        "name": application.user.display_name
                    }
                else:
                    services.application_reject(
                        application=application,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    done = gettext("You turned down %(name)s's application.") % {
                        "name": application.user.display_name
                    }
            except ApplicationError as exc:
                form_add_application_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("marketplace:applications", slug=brand.slug)
    return render(
        request,
        "marketplace/application_review.html",
        {
            "brand": brand,
            "application": application,
            "history": selectors.applicant_history(application=application, viewer=viewer),
            "approve_form": approve_form,
            "reject_form": reject_form,
            "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        },
        status=status,
    )


# ---------------------------------------------------------------------------------------
# Quizzes
# ---------------------------------------------------------------------------------------


@brand_staff_page()
@require_http_methods(["GET", "POST"])
def quiz_list(request: HttpRequest, brand: Brand) -> HttpResponse:
    viewer = viewer_for(request)
    form = QuizForm(request.POST or None, brand=brand)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                quiz = services.quiz_create(
                    brand=brand, actor=request.user, **form.service_kwargs()
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc, {"product_id": "subject"})
                if any(name.startswith("questions.") for name in exc.fields):
                    for name, errors in exc.fields.items():
                        if name.startswith("questions."):
                            form.add_error("questions", errors)
            else:
                messages.success(
                    request, gettext("Created the quiz '%(title)s'.") % {"title": quiz.title}
                )
                return redirect("marketplace:quizzes", slug=brand.slug)
    return render(
        request,
        "marketplace/quizzes.html",
        {
            "brand": brand,
            "quizzes": selectors.quiz_list(brand=brand, viewer=viewer),
            "form": form,
            "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        },
        status=status,
    )


@brand_staff_page()
@require_http_methods(["GET", "POST"])
def quiz_manage(request: HttpRequest, brand: Brand, quiz_id: int) -> HttpResponse:
    viewer = viewer_for(request)
    quiz = get_object_or_404(selectors.quiz_list(brand=brand, viewer=viewer), pk=quiz_id)
    if request.method == "POST":
        services.quiz_set_active(
            quiz=quiz, is_active=request.POST.get("is_active") == "1", actor=request.user
        )
        if quiz.is_active:
            state = gettext("'%(title)s' is open for attempts.")
        else:
            state = gettext("'%(title)s' is closed.")
        messages.success(request, state % {"title": quiz.title})
        return redirect("marketplace:quiz-manage", slug=brand.slug, quiz_id=quiz.pk)
    return render(
        request,
        "marketplace/quiz_manage.html",
        {
            "brand": brand,
            "quiz": quiz,
            "questions": quiz.questions.prefetch_related("choices"),
            "attempts": quiz.attempts.select_related("user")[:50],
            "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("quiz", by=lambda request: f"user:{request.user.pk}")
def quiz_take(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    brand = _active_brand(request, slug)
    viewer = viewer_for(request)
    quiz = (
        selectors.quizzes_for_person(user=request.user, viewer=viewer)
        .filter(brand=brand, pk=quiz_id)
        .first()
    )
    if quiz is None:
        raise Http404(gettext("No such quiz."))
    questions = list(quiz.questions.prefetch_related("choices"))
    form = QuizTakeForm(request.POST or None, questions=questions)
    status = 200
    result = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = services.quiz_attempt_submit(
                    quiz=quiz, user=signed_in_user(request), answers=form.answers()
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                status = 200
    last = quiz.attempts.filter(user=signed_in_user(request)).first() if result is None else result
    return render(
        request,
        "marketplace/quiz_take.html",
        {
            "brand": brand,
            "quiz": quiz,
            "form": form,
            "result": result,
            "last": last,
            "next_attempt_at": services.quiz_next_attempt_at(
                quiz=quiz, user=signed_in_user(request)
            ),
        },
        status=status,
    )
