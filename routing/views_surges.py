"""Staff pages of proactive care: the surges the detector raised for the brand's products,
each with its grouped questions, the best expert answer so far and its drafted entry, and
the one-click known-issue notice (publish, dismiss, end); and the staffing surges (queue
outgrowing the online experts), with who was invited and who answered the call.

Every staff of the brand reads them; owners and managers act (``brand_staff_page`` turns
other roles' POSTs away). Another brand's staff get 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from marketplace.models import Brand
from marketplace.views import brand_staff_page
from routing.models import Message, StaffingSurge, SurgeIncident
from routing.selectors import routing_settings_for
from routing.services import surges
from routing.services.staffing import staffing_surges_for_staff

SHOWN = 50


def _incident(request: HttpRequest, brand: Brand, incident_id: int) -> SurgeIncident:
    incident = (
        SurgeIncident.objects.visible_to(viewer_for(request))
        .filter(brand=brand, pk=incident_id)
        .select_related("product", "entry")
        .first()
    )
    if incident is None:
        raise Http404(_("No such surge for this brand."))
    return incident


@brand_staff_page()
def surge_list(request: HttpRequest, brand: Brand) -> HttpResponse:
    incidents = list(
        SurgeIncident.objects.visible_to(viewer_for(request))
        .filter(brand=brand)
        .select_related("product", "entry")
        .order_by("-detected_at")[:SHOWN]
    )
    staffing = staffing_surges_for_staff(
        surges=list(
            StaffingSurge.objects.visible_to(viewer_for(request))
            .filter(brand=brand)
            .order_by("-started_at")[:10]
        )
    )
    from payments.models import format_money

    for surge in staffing:
        surge.bonus_label = (  # type: ignore[attr-defined]
            format_money(surge.bonus_amount, surge.currency) if surge.bonus_amount else ""
        )
    return render(
        request,
        "routing/surges.html",
        {
            "brand": brand,
            "staffing": staffing,
            "surge_after": routing_settings_for(brand.pk).surge_after_minutes,
            "open": [i for i in incidents if i.status == SurgeIncident.Status.OPEN],
            "notices": [i for i in incidents if i.status == SurgeIncident.Status.PUBLISHED],
            "past": [
                i
                for i in incidents
                if i.status in (SurgeIncident.Status.DISMISSED, SurgeIncident.Status.ENDED)
            ],
        },
    )


@brand_staff_page()
def surge_detail(request: HttpRequest, brand: Brand, incident_id: int) -> HttpResponse:
    return _detail(request, brand, _incident(request, brand, incident_id))


def _detail(
    request: HttpRequest,
    brand: Brand,
    incident: SurgeIncident,
    *,
    status: int = 200,
    error: ApplicationError | None = None,
) -> HttpResponse:
    best = surges.surge_best_answer(incident)
    best_answer = ""
    if best is not None:
        from routing.text import redact

        best_answer = "\n\n".join(
            redact(body).text
            for body in Message.objects.filter(question=best, role=Message.Role.EXPERT).values_list(
                "body", flat=True
            )
        )
    return render(
        request,
        "routing/surge_detail.html",
        {
            "brand": brand,
            "incident": incident,
            "examples": surges.surge_examples(incident),
            "best": best,
            "best_answer": best_answer,
            "answered_by": surges.surge_answered_by(incident),
            "can_edit": viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES),
            "headline": request.POST.get("headline", ""),
            "answer": request.POST.get("answer", ""),
            "error": error,
            "field_errors": error.fields if error else {},
        },
        status=status,
    )


@brand_staff_page()
@require_POST
def surge_action(request: HttpRequest, brand: Brand, incident_id: int) -> HttpResponse:
    """Publish the notice, dismiss the surge, or end the notice."""
    incident = _incident(request, brand, incident_id)
    action = request.POST.get("action", "")
    try:
        if action == "publish":
            surges.surge_incident_publish(
                incident=incident,
                actor=request.user,
                headline=request.POST.get("headline", ""),
                answer=request.POST.get("answer", ""),
            )
            messages.success(
                request,
                _(
                    "Known-issue notice published for %(product)s: the ask page and the widget "
                    "show it, and new questions get its answer first."
                )
                % {"product": incident.product.name},
            )
        elif action == "dismiss":
            surges.surge_incident_dismiss(incident=incident, actor=request.user)
            messages.success(request, _("Surge dismissed."))
        elif action == "end":
            surges.surge_incident_end(incident=incident, actor=request.user)
            messages.success(
                request, _("Notice ended for %(product)s.") % {"product": incident.product.name}
            )
        else:
            raise ApplicationError(_("Choose publish, dismiss or end."))
    except ApplicationError as exc:
        # The page again with what to fix, under the status that says what went wrong.
        return _detail(request, brand, incident, status=exc.status_code, error=exc)
    return redirect("routing:surge-detail", slug=brand.slug, incident_id=incident.pk)
