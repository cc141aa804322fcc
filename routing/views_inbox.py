"""The staff inbox (the brand's live queue) and the staff-only work on a conversation:
internal notes, tags, reassignment, and the brand's canned replies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, STAFF_ROLES, viewer_for
from gigcx.web import form_add_application_error, parse_id
from marketplace.models import Brand, Expert
from marketplace.views import brand_staff_page
from routing import inbox, services
from routing.models import (
    CannedReply,
    InternalNote,
    KnowledgeEntry,
    Presence,
    Question,
    QuestionTag,
)
from routing.services.knowledge import answer_calibration_summary

PAGE_ROWS = 100


def _inbox_state(
    request: HttpRequest, brand: Brand
) -> tuple[inbox.InboxFilterForm, dict[str, Any], str]:
    form = inbox.InboxFilterForm(request.GET, brand=brand)
    filters = form.valid_data()
    tab = filters.pop("tab", "all")
    return form, filters, tab


@brand_staff_page()
def staff_inbox(request: HttpRequest, brand: Brand) -> HttpResponse:
    """Every conversation of the brand, by state, with filters that live in the address
    (so a view can be bookmarked). A bad filter value is named on the page (400) and left
    out; the rest still apply."""
    viewer = viewer_for(request)
    form, filters, tab = _inbox_state(request, brand)
    now = timezone.now()
    rows = list(inbox.inbox_questions(brand_id=brand.pk, filters=filters, tab=tab)[:PAGE_ROWS])
    for question in rows:
        question.sla, question.sla_left = inbox.sla_state(question, now)
        question.waited = inbox.waited_seconds(question, now)
    counts = inbox.inbox_counts(brand_id=brand.pk, filters=filters)
    query = request.GET.copy()
    query.pop("tab", None)
    online = (
        Presence.objects.visible_to(viewer)
        .filter(user__expert_memberships__brand=brand, status=Presence.Status.ONLINE)
        .select_related("user__expert_profile")
        .distinct()
    )
    response = render(
        request,
        "routing/staff_queue.html",
        {
            "brand": brand,
            "form": form,
            "errors": form.error_list(),
            "tabs": [(t, counts[t.key]) for t in inbox.TABS],
            "done_days": inbox.DONE_DAYS,
            "tab": tab,
            "rows": rows,
            "more": counts[tab] > len(rows),
            "query": query.urlencode(),
            "filtered": bool(filters),
            "online": online,
            "calibration": answer_calibration_summary(brand_id=brand.pk),
            "entries": KnowledgeEntry.objects.visible_to(viewer)
            .filter(brand=brand, archived_at__isnull=True)
            .select_related("product")
            .order_by("-shown_count", "question"),
        },
    )
    if form.errors:
        response.status_code = 400
    return response


@brand_staff_page()
@require_GET
def staff_inbox_counts(request: HttpRequest, brand: Brand) -> JsonResponse:
    """The tab counts under the page's filters, for the inbox to poll."""
    form, filters, _tab = _inbox_state(request, brand)
    if form.errors:
        return JsonResponse(
            {"error": {"message": " ".join(form.error_list()), "fields": form.errors}},
            status=400,
        )
    return JsonResponse({"counts": inbox.inbox_counts(brand_id=brand.pk, filters=filters)})


def _question_of(brand: Brand, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id, brand=brand).first()
    if question is None:
        raise Http404(_("No such question."))
    return question


def _back(question: Question) -> HttpResponse:
    return redirect("routing:question", question_id=question.pk)


@brand_staff_page(write_roles=STAFF_ROLES)
@require_POST
def question_note_add(request: HttpRequest, brand: Brand, question_id: int) -> HttpResponse:
    """Quality reviewers may add notes too: notes are how they leave word for the team."""
    question = _question_of(brand, question_id)
    try:
        services.internal_note_add(
            question=question, author=request.user, body=request.POST.get("body", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Note added. Only your team sees it."))
    return redirect(f"{_back(question).url}#notes")


@brand_staff_page()
@require_POST
def question_tags_change(request: HttpRequest, brand: Brand, question_id: int) -> HttpResponse:
    question = _question_of(brand, question_id)
    try:
        if request.POST.get("action") == "remove":
            services.question_tag_remove(
                question=question,
                tag_id=parse_id(request.POST.get("tag_id")) or 0,
                actor=request.user,
            )
        else:
            tag = services.question_tag_add(
                question=question, name=request.POST.get("name", ""), actor=request.user
            )
            messages.success(request, _("Tagged “%(tag)s”.") % {"tag": tag.name})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(f"{_back(question).url}#tags")


@brand_staff_page()
@require_POST
def question_reassign(request: HttpRequest, brand: Brand, question_id: int) -> HttpResponse:
    question = _question_of(brand, question_id)
    try:
        offer = services.question_reassign(
            question_id=question.pk,
            expert_id=parse_id(request.POST.get("expert")),
            actor=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        chosen = Expert.objects.select_related("user__expert_profile").get(pk=offer.expert_id)
        name = chosen.display_name
        messages.success(
            request,
            _("Offered to %(name)s. If they do not accept in time, routing finds someone else.")
            % {"name": name},
        )
    return _back(question)


class CannedReplyForm(forms.Form):
    title = forms.CharField(
        max_length=80,
        label=gettext_lazy("Title"),
        help_text=gettext_lazy("What your team picks it by."),
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=4000, label=gettext_lazy("Reply")
    )


@brand_staff_page()
def canned_replies(request: HttpRequest, brand: Brand) -> HttpResponse:
    """The brand's canned replies (and its tags): a list with a form to add one."""
    viewer = viewer_for(request)
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_reply_create(brand=brand, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(
                request, _("Saved “%(title)s”.") % {"title": form.cleaned_data["title"]}
            )
            return redirect("routing:canned-replies", slug=brand.slug)
    return render(
        request,
        "routing/canned_replies.html",
        {
            "brand": brand,
            "form": form,
            "replies": CannedReply.objects.visible_to(viewer).filter(brand=brand),
            "tags": QuestionTag.objects.visible_to(viewer).filter(brand=brand),
            "can_edit": viewer.is_staff_of(brand.pk, EDITOR_ROLES),
        },
    )


@brand_staff_page()
def canned_reply_edit(request: HttpRequest, brand: Brand, reply_id: int) -> HttpResponse:
    reply = (
        CannedReply.objects.visible_to(viewer_for(request)).filter(pk=reply_id, brand=brand).first()
    )
    if reply is None:
        raise Http404(_("No such reply."))
    if request.method == "POST" and request.POST.get("action") == "delete":
        services.canned_reply_delete(brand=brand, reply_id=reply.pk, actor=request.user)
        messages.success(request, _("Deleted “%(title)s”.") % {"title": reply.title})
        return redirect("routing:canned-replies", slug=brand.slug)
    form = CannedReplyForm(request.POST or None, initial={"title": reply.title, "body": reply.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_reply_update(
                brand=brand, reply_id=reply.pk, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(
                request, _("Saved “%(title)s”.") % {"title": form.cleaned_data["title"]}
            )
            return redirect("routing:canned-replies", slug=brand.slug)
    return render(
        request,
        "routing/canned_reply_form.html",
        {
            "brand": brand,
            "form": form,
            "reply": reply,
            "can_edit": viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES),
        },
    )


@brand_staff_page()
@require_POST
def tag_delete(request: HttpRequest, brand: Brand, tag_id: int) -> HttpResponse:
    try:
        services.question_tag_delete(brand=brand, tag_id=tag_id, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tag deleted; it came off every conversation that had it."))
    return redirect("routing:canned-replies", slug=brand.slug)


def staff_conversation_context(request: HttpRequest, question: Question) -> dict[str, Any]:
    """What the staff view of a conversation adds: notes, tags, canned replies, the pool
    for reassignment, and which of these controls the viewer's role may use."""
    viewer = viewer_for(request)
    editor = viewer.is_staff_of(question.brand_id, EDITOR_ROLES)
    pool = []
    if editor and question.status != Question.Status.RESOLVED:
        pool = [
            (expert, expert.display_name)
            for expert in Expert.objects.filter(
                brand_id=question.brand_id,
                status__in=[Expert.Status.APPROVED, Expert.Status.PROBATION],
            ).select_related("user__expert_profile", "user__presence")
        ]
        pool.sort(key=lambda pair: pair[1].lower())
    return {
        "notes": InternalNote.objects.visible_to(viewer)
        .filter(question=question)
        .select_related("author"),
        "question_tags": list(question.tags.all()),
        "brand_tags": QuestionTag.objects.visible_to(viewer).filter(brand_id=question.brand_id),
        "canned": list(CannedReply.objects.visible_to(viewer).filter(brand_id=question.brand_id))
        if editor
        else [],
        "pool": pool,
        "customer_card": _customer_card(question),
        "can_note": viewer.is_staff_of(question.brand_id, STAFF_ROLES),
        "can_tag": editor,
    }


CARD_QUESTIONS = 5


def _customer_card(question: Question) -> dict[str, Any] | None:
    """The customer beside her conversation: her history with the brand, her products, the
    experts she met and how she rated them (quality.relationships); None for an anonymous
    asker, who cannot be told apart from others."""
    from quality.relationships import customer_relationship

    if question.asked_by_id is None:
        return None
    # One more than shown: the open question itself is among her newest and is left out.
    relationship = customer_relationship(
        brand=question.brand, customer_id=question.asked_by_id, question_limit=CARD_QUESTIONS + 1
    )
    if relationship is None:
        return None
    others = [row for row in relationship.questions if row["id"] != question.pk]
    return {
        "relationship": relationship,
        "recent": others[:CARD_QUESTIONS],
        "more": max(0, relationship.question_count - 1 - CARD_QUESTIONS),
        "products": relationship.products,
    }
