"""HTML pages of routing: asking, the conversation, the expert console and the staff queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gigcx.content_policy import allow_framing, framing_origins
from gigcx.exceptions import ApplicationError
from gigcx.tenancy import ANONYMOUS, EDITOR_ROLES, viewer_for
from gigcx.throttling import rate_limited
from gigcx.web import form_add_application_error
from marketplace.models import Brand, Expert
from marketplace.views import brand_staff_page
from routing import selectors, services
from routing.forms import AskForm, RoutingSettingsForm
from routing.models import Assignment, KnowledgeEntry, Message, Presence, Question
from routing.preview import weights_preview
from routing.services.surges import known_issues_for_brand
from routing.views_inbox import staff_conversation_context
from routing.views_knowledge import faq_draft_context


@login_required
def customer_home(request: HttpRequest) -> HttpResponse:
    brands = (
        Brand.objects.visible_to(viewer_for(request))
        .filter(is_active=True)
        .annotate(
            product_count=Count("products", filter=Q(products__is_archived=False), distinct=True),
            expert_count=Count(
                "experts", filter=Q(experts__status__in=["approved", "probation"]), distinct=True
            ),
        )
    )
    questions = (
        Question.objects.filter(asked_by=request.user)
        .select_related("brand", "product")
        .order_by("-created_at")[:50]
    )
    return render(request, "routing/customer_home.html", {"brands": brands, "questions": questions})


@require_http_methods(["GET", "POST"])
@rate_limited("ask")
def ask(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_object_or_404(Brand.objects.filter(is_active=True), slug=slug)
    anonymous = not request.user.is_authenticated
    form = AskForm(
        request.POST or None,
        brand=brand,
        anonymous=anonymous,
        customer=None if anonymous else request.user,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            question, token = services.question_create(
                brand=brand,
                asked_by=None if anonymous else request.user,
                body=data["body"],
                product_id=data["product"].pk if data["product"] else None,
                preference=data["preference"],
                contact_email=data.get("contact_email", ""),
                tone_analysis=data["tone_analysis"],
                preferred_expert_id=data["preferred_expert"].pk
                if data.get("preferred_expert")
                else None,
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc, {"product_id": "product"})
            status = exc.status_code  # 429 once the brand's quota is used up
        else:
            if token:
                private_link_remember(request, question_id=question.pk, token=token)
                return redirect("routing:question-private", question_id=question.pk)
            if request.POST.get("talk") == "1":  # "talk now": the page offers the call
                url = reverse("routing:question", kwargs={"question_id": question.pk})
                return redirect(f"{url}?talk=1")
            return redirect("routing:question", question_id=question.pk)
    return render(
        request,
        "routing/ask.html",
        {"brand": brand, "form": form, "notices": known_issues_for_brand(brand=brand)},
        status=status,
    )


def _conversation(
    request: HttpRequest, question: Question, role: str, token: str = "", embed: bool = False
) -> HttpResponse:
    assignment = (
        Assignment.objects.filter(question=question, status=Assignment.Status.ACCEPTED)
        .select_related("expert__user__expert_profile")
        .first()
    )
    expert_name = verified = None
    if assignment is not None:
        expert_name = assignment.expert.display_name
        verified = assignment.expert.skills.filter(
            product_id=question.product_id, verified_at__isnull=False
        ).exists()
    rows = [
        {
            "id": m.pk,
            "role": m.role,
            "created_at": m.created_at,
            "body": m.expert_text if role == Message.Role.EXPERT else m.body,
        }
        for m in question.messages.all()
    ]
    is_assigned_expert = (
        role == Message.Role.EXPERT
        and assignment is not None
        and assignment.expert.user_id == request.user.pk
    )
    routing_history = []
    if role == Message.Role.STAFF:
        # "Why this expert": every offer with its score breakdown, newest first.
        routing_history = list(
            question.assignments.select_related("expert__user__expert_profile").order_by(
                "-offered_at"
            )
        )
    offer = None
    if role == Message.Role.EXPERT and not is_assigned_expert:
        offer = (
            Assignment.objects.live().filter(question=question, expert__user=request.user).first()
        )
    # Quality reviewers read conversations; only owners and managers write or resolve.
    staff_writes = role == Message.Role.STAFF and viewer_for(request).is_staff_of(
        question.brand_id, EDITOR_ROLES
    )
    # The assigned expert's copilot: entries and a draft, never sent by itself.
    copilot = None
    if is_assigned_expert and question.status != Question.Status.RESOLVED:
        copilot = services.copilot_for(question=question, user=request.user)
    # The outer ring may read any app's selectors: the rating panel after resolution.
    from quality.selectors import rating_for_question

    return render(
        request,
        "routing/conversation.html",
        {
            "question": question,
            "rating": rating_for_question(question_id=question.pk),
            "role": role,
            "token": token,
            "chat": rows,
            "expert_name": expert_name,
            "verified": verified,
            "body": question.expert_text if role == Message.Role.EXPERT else question.body,
            "can_write": question.status != Question.Status.RESOLVED
            and (role == Message.Role.CUSTOMER or staff_writes or is_assigned_expert),
            "staff_writes": staff_writes,
            "is_assigned_expert": is_assigned_expert,
            "offer": offer,
            "routing_history": routing_history,
            "copilot": copilot,
            "embed": embed,
            "last_id": rows[-1]["id"] if rows else 0,
            "feedback": getattr(getattr(question, "auto_answer", None), "outcome", None),
            **faq_draft_context(request, question, role),
            **(staff_conversation_context(request, question) if role == Message.Role.STAFF else {}),
            "mood_rising": role != Message.Role.CUSTOMER
            and question.status != Question.Status.RESOLVED
            and selectors.question_mood_rising(question),
        },
    )


@login_required
def question_page(request: HttpRequest, question_id: int) -> HttpResponse:
    found = selectors.question_with_role(viewer=viewer_for(request), question_id=question_id)
    if found is None:
        raise Http404(_("No such question."))
    return _conversation(request, *found)


def frameable(response: HttpResponse, brand: Brand | None) -> HttpResponse:
    """Let the brand's site frame this page (the widget): frame-ancestors instead of 'none'.
    Without a brand (a page that must not say which brand it belongs to) any site may."""
    origins = framing_origins(brand.website) if brand is not None and brand.website else []
    allow_framing(response, origins)
    return response


@require_http_methods(["GET"])
def embed_ask(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_object_or_404(Brand.objects.filter(is_active=True), slug=slug)
    response = render(
        request,
        "routing/embed_ask.html",
        {
            "brand": brand,
            "products": brand.products.filter(is_archived=False).order_by("name"),
            "preferences": Question.Preference.choices,
            "notices": known_issues_for_brand(brand=brand),
        },
    )
    return frameable(response, brand)


# The private-link tokens this browser has opened, by question id: the conversation's
# address carries no token, so it never reaches access logs, browser history or Referer.
PRIVATE_LINKS_SESSION_KEY = "gigcx_private_links"
PRIVATE_LINKS_KEPT = 20


def private_link_remember(request: HttpRequest, *, question_id: int, token: str) -> None:
    links = dict(request.session.get(PRIVATE_LINKS_SESSION_KEY) or {})
    links.pop(str(question_id), None)
    links[str(question_id)] = token
    request.session[PRIVATE_LINKS_SESSION_KEY] = dict(list(links.items())[-PRIVATE_LINKS_KEPT:])


def _private_question(question_id: int, token: str) -> tuple[Question, str] | None:
    if not token:
        return None
    return selectors.question_with_role(viewer=ANONYMOUS, question_id=question_id, token=token)


def _private_conversation(
    request: HttpRequest, found: tuple[Question, str], token: str, embed: bool
) -> HttpResponse:
    question, role = found
    response = _conversation(request, question, role, token=token, embed=embed)
    return frameable(response, question.brand) if embed else response


def _private_url(question_id: int, embed: bool) -> str:
    url = reverse("routing:question-private", kwargs={"question_id": question_id})
    return url + "?embed=1" if embed else url


# The token arrives in the POST body and is the only credential used: there is no ambient
# authority for a forged request to borrow, and the widget's frame on a brand's site has no
# cookies (so no CSRF cookie) to offer.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def question_private(request: HttpRequest, question_id: int) -> HttpResponse:
    """The anonymous asker's conversation (also what the widget's iframe shows).

    The emailed link is ``/q/<id>/#t=<token>``: a fragment never leaves the browser. Without
    a remembered token, GET answers a small page whose script posts the fragment's token
    here; a valid one is remembered in the session and the browser is sent back to the
    token-free address. In the widget, whose frame gets no cookies on a brand's site, the
    POST answers the conversation itself and the token stays in the frame's fragment.
    """
    embed = request.GET.get("embed") == "1"
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        found = _private_question(question_id, token)
        if found is None:
            raise Http404(_("This link is not valid."))
        if embed:
            return _private_conversation(request, found, token, embed=True)
        private_link_remember(request, question_id=question_id, token=token)
        return redirect(_private_url(question_id, embed=False))
    links = request.session.get(PRIVATE_LINKS_SESSION_KEY) or {}
    token = str(links.get(str(question_id), ""))
    found = _private_question(question_id, token)
    if found is None:
        response = render(
            request,
            "routing/question_open.html",
            {
                "question_id": question_id,
                "embed": embed,
                "action": _private_url(question_id, embed),
            },
        )
        return frameable(response, None) if embed else response
    return _private_conversation(request, found, token, embed)


@require_GET
def question_private_legacy(request: HttpRequest, question_id: int, token: str) -> HttpResponse:
    """Links mailed before tokens left the path (``/q/<id>/<token>/``): exchange the token for
    the session, then redirect to the token-free address (the widget keeps it in the
    fragment, as it has no cookies). The logs mask the path (gigcx.log_filters)."""
    embed = request.GET.get("embed") == "1"
    if _private_question(question_id, token) is None:
        raise Http404(_("This link is not valid."))
    if embed:
        return redirect(f"{_private_url(question_id, embed=True)}#t={token}")
    private_link_remember(request, question_id=question_id, token=token)
    return redirect(_private_url(question_id, embed=False))


@login_required
def expert_console(request: HttpRequest) -> HttpResponse:
    from quality.selectors import expert_handled_assignments

    pools = Expert.objects.filter(user=request.user).select_related("brand")
    presence = services.presence_for(request.user) if pools else None
    return render(
        request,
        "routing/expert_console.html",
        {
            "pools": pools,
            "presence": presence,
            "approved": any(p.receives_offers for p in pools),
            "offers": selectors.expert_offers(user_id=request.user.pk),
            "active": selectors.expert_active_assignments(user_id=request.user.pk),
            # The outer ring may read quality's selectors: her finished conversations.
            "handled": expert_handled_assignments(user_id=request.user.pk)[:10],
            "window": selectors.expert_window_state(
                user=request.user, presence=presence, now=timezone.now()
            )
            if pools
            else None,
            # Her profile's "offers in the browser" choice decides whether the opt-in shows.
            "notify_browser": getattr(
                getattr(request.user, "expert_profile", None), "notify_offers_browser", True
            ),
        },
    )


@login_required
@require_POST
def presence_change(request: HttpRequest) -> HttpResponse:
    try:
        presence = services.presence_set(user=request.user, status=request.POST.get("status", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            {
                Presence.Status.ONLINE: _("You are online."),
                Presence.Status.AWAY: _("You are away."),
                Presence.Status.OFFLINE: _("You are offline."),
            }[presence.status],
        )
    return redirect("routing:expert-console")


def knowledge_entry_page(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    """One knowledge entry, the source an automated answer links to. Published entries are
    public; drafts only for the brand's staff. Staff also see the entry's record."""
    viewer = viewer_for(request)
    entry = get_object_or_404(
        KnowledgeEntry.objects.visible_to(viewer).select_related("brand", "product"),
        pk=entry_id,
        brand__slug=slug,
    )
    staff = viewer.is_site_admin or entry.brand_id in viewer.staff_brand_ids()
    return render(request, "routing/knowledge_entry.html", {"entry": entry, "staff": staff})


@brand_staff_page()
def routing_settings_page(request: HttpRequest, brand: Brand) -> HttpResponse:
    """The brand's routing knobs, with a preview of new weights on recent questions.

    "Preview" re-weighs the recent offers and saves nothing; "Save" saves (owners and
    managers; quality reviewers read the page without a form to change it)."""
    settings = selectors.routing_settings_for(brand.pk)
    can_edit = viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES)
    preview = None
    if request.method == "POST":
        form = RoutingSettingsForm(request.POST)
        if form.is_valid():
            if request.POST.get("action") == "preview":
                preview = weights_preview(brand=brand, weights=form.weights())
            else:
                try:
                    services.routing_settings_update(
                        brand=brand, actor=request.user, **form.changes()
                    )
                except ApplicationError as exc:
                    form_add_application_error(
                        form,
                        exc,
                        {"step_waits": "wait_1", "weights": "weight_skill"},
                    )
                else:
                    messages.success(request, _("Routing settings saved; new offers use them."))
                    return redirect("routing:routing-settings", slug=brand.slug)
    else:
        form = RoutingSettingsForm(initial=RoutingSettingsForm.initial_for(settings))
    return render(
        request,
        "routing/routing_settings.html",
        {"brand": brand, "form": form, "preview": preview, "can_edit": can_edit},
    )
