"""HTML pages of the knowledge base for a brand's staff: the list with search and filters,
writing and editing entries with their record, publishing and archiving, the gaps, and the
"Make this an FAQ entry" button of a resolved conversation.

Every staff of the brand reads these pages; owners and managers change them (the
``brand_staff_page`` decorator turns other roles' POSTs away). Another brand's staff get 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from gigcx.web import form_add_application_error, parse_id
from marketplace.models import Brand
from marketplace.views import brand_staff_page
from routing import services
from routing.forms import KnowledgeEntryForm, KnowledgeSearchForm
from routing.knowledge_gaps import GAP_DAYS, knowledge_entries_for_staff, knowledge_gaps
from routing.models import Assignment, KnowledgeEntry, Message, Question

PAGE_SIZE = 50


def _entries(request: HttpRequest, brand: Brand) -> Any:
    return KnowledgeEntry.objects.visible_to(viewer_for(request)).filter(brand=brand)


def _can_edit(request: HttpRequest, brand: Brand) -> bool:
    return viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES)


@brand_staff_page()
def knowledge_list(request: HttpRequest, brand: Brand) -> HttpResponse:
    form = KnowledgeSearchForm(request.GET or None, brand=brand)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        product = data.get("product") or ""
        filters = {
            "search": data.get("q") or "",
            "general": product == "general",
            "product_id": parse_id(product),
            "status": data.get("status") or "",
            "flagged": bool(data.get("flagged")),
        }
    entries = knowledge_entries_for_staff(entries=_entries(request, brand), **filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = _entries(request, brand).aggregate(
        published=Count("pk", filter=Q(is_published=True, archived_at__isnull=True)),
        drafts=Count("pk", filter=Q(is_published=False, archived_at__isnull=True)),
        archived=Count("pk", filter=Q(archived_at__isnull=False)),
    )
    counts["flagged"] = _entries(request, brand).filter(archived_at__isnull=True).failing().count()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "routing/knowledge_list.html",
        {
            "brand": brand,
            "form": form,
            "page": page,
            "counts": counts,
            "query": query.urlencode(),
            "can_edit": _can_edit(request, brand),
            "filtered": any(filters.values()),
        },
    )


@brand_staff_page(roles=EDITOR_ROLES)
def knowledge_create(request: HttpRequest, brand: Brand) -> HttpResponse:
    form = KnowledgeEntryForm(request.POST or None, brand=brand)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.knowledge_entry_create(
                    brand=brand,
                    actor=request.user,
                    question=data["question"],
                    answer=data["answer"],
                    phrasings=data["phrasings"],
                    product_id=data["product"].pk if data["product"] else None,
                    is_published="publish" in request.POST,
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc, {"product_id": "product"})
            else:
                messages.success(
                    request,
                    _("Entry published.") if entry.is_published else _("Entry saved as a draft."),
                )
                return redirect("routing:knowledge-staff-entry", slug=brand.slug, entry_id=entry.pk)
    return render(
        request, "routing/knowledge_form.html", {"brand": brand, "form": form}, status=status
    )


@brand_staff_page()
def knowledge_staff_entry(request: HttpRequest, brand: Brand, entry_id: int) -> HttpResponse:
    """One entry for staff: its record as an automated answer, where it came from, and (for
    owners and managers) the form to edit it and the buttons to publish or archive it."""
    entry = get_object_or_404(
        _entries(request, brand).select_related(
            "product", "expert__user__expert_profile", "source_question"
        ),
        pk=entry_id,
    )
    form = KnowledgeEntryForm(
        request.POST or None, brand=brand, initial=KnowledgeEntryForm.initial_for(entry)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.knowledge_entry_update(
                    entry=entry,
                    actor=request.user,
                    question=data["question"],
                    answer=data["answer"],
                    phrasings=data["phrasings"],
                    product_id=data["product"].pk if data["product"] else None,
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc, {"product_id": "product"})
            else:
                messages.success(request, _("Saved. The AI line quotes the new text from now on."))
                return redirect("routing:knowledge-staff-entry", slug=brand.slug, entry_id=entry.pk)
    recent = entry.auto_answers.select_related("question").order_by("-created_at")[:10]
    return render(
        request,
        "routing/knowledge_staff_entry.html",
        {
            "brand": brand,
            "entry": entry,
            "form": form,
            "can_edit": _can_edit(request, brand),
            "recent": recent,
            "expert_name": _expert_name(entry),
        },
        status=status,
    )


def _expert_name(entry: KnowledgeEntry) -> str:
    return "" if entry.expert is None else entry.expert.display_name


STATUS_ACTIONS = {
    "publish": (
        services.knowledge_entry_publish,
        gettext_lazy("Published: the AI line may quote it now."),
    ),
    "draft": (services.knowledge_entry_unpublish, gettext_lazy("Back to draft: no longer quoted.")),
    "archive": (
        services.knowledge_entry_archive,
        gettext_lazy("Archived: no longer quoted or shown."),
    ),
    "restore": (
        services.knowledge_entry_restore,
        gettext_lazy("Restored as a draft; publish it when ready."),
    ),
}


@brand_staff_page()
@require_POST
def knowledge_entry_status(request: HttpRequest, brand: Brand, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(_entries(request, brand), pk=entry_id)
    action = STATUS_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Choose publish, draft, archive or restore."))
        return redirect("routing:knowledge-staff-entry", slug=brand.slug, entry_id=entry.pk)
    service, done = action
    try:
        service(entry=entry, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("routing:knowledge-staff-entry", slug=brand.slug, entry_id=entry.pk)


@brand_staff_page()
def knowledge_gaps_page(request: HttpRequest, brand: Brand) -> HttpResponse:
    from quality.selectors import rating_scores

    gaps = knowledge_gaps(brand_id=brand.pk, ratings=rating_scores)
    return render(
        request,
        "routing/knowledge_gaps.html",
        {
            "brand": brand,
            "gaps": gaps[:30],
            "days": GAP_DAYS,
            "questions": sum(gap.size for gap in gaps),
            "can_edit": _can_edit(request, brand),
        },
    )


@brand_staff_page()
@require_POST
def knowledge_gap_propose(request: HttpRequest, brand: Brand) -> HttpResponse:
    """Propose a draft entry from the best expert answer of a gap."""
    return _draft(request, parse_id(request.POST.get("question_id")), brand=brand)


@login_required
@require_POST
def question_faq_draft(request: HttpRequest, question_id: int) -> HttpResponse:
    """The conversation's "Make this an FAQ entry" (staff, or the expert who resolved it)."""
    return _draft(request, question_id)


def _draft(request: HttpRequest, question_id: int | None, brand: Brand | None = None) -> Any:
    viewer = viewer_for(request)
    try:
        question = services.knowledge_draft_access(viewer=viewer, question_id=question_id or 0)
        if brand is not None and question.brand_id != brand.pk:
            raise ApplicationError(_("That question is not this brand's."))
        entry = services.knowledge_entry_draft_from_question(question=question, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        if brand is not None:
            return redirect("routing:knowledge-gaps", slug=brand.slug)
        return redirect("routing:question", question_id=question_id)
    if viewer.is_staff_of(entry.brand_id):
        messages.success(
            request, _("Draft entry made from the expert's answer: check it, then publish.")
        )
        return redirect(
            "routing:knowledge-staff-entry", slug=question.brand.slug, entry_id=entry.pk
        )
    messages.success(
        request,
        _(
            "Thanks: your answer is now a draft FAQ entry for %(brand)s's staff to review, "
            "credited to you."
        )
        % {"brand": question.brand.name},
    )
    return redirect("routing:question", question_id=question.pk)


def faq_draft_context(request: HttpRequest, question: Question, role: str) -> dict[str, Any]:
    """For the conversation page: may this viewer make the conversation an FAQ entry, and
    which entry it already became."""
    if question.status != Question.Status.RESOLVED or role == Message.Role.CUSTOMER:
        return {}
    viewer = viewer_for(request)
    staff = viewer.is_staff_of(question.brand_id, EDITOR_ROLES)
    resolved_it = (
        role == Message.Role.EXPERT
        and Assignment.objects.filter(
            question=question, status=Assignment.Status.RESOLVED, expert__user_id=viewer.user_id
        ).exists()
    )
    if not (staff or resolved_it):
        return {}
    if not question.messages.filter(role=Message.Role.EXPERT).exists():
        return {}
    return {
        "faq_draft": {
            "entry": KnowledgeEntry.objects.filter(source_question=question).first(),
            "staff": viewer.is_staff_of(question.brand_id),
        }
    }
