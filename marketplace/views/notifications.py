"""Each staff member's choice of the messages she gets from a brand (her membership's)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from gigcx.accounts import signed_in_user
from gigcx.tenancy import STAFF_ROLES
from marketplace import services
from marketplace.forms import StaffNotificationsForm
from marketplace.models import Brand, BrandMembership
from marketplace.views.core import brand_staff_page


@brand_staff_page(write_roles=STAFF_ROLES)  # everyone on the staff chooses for herself
def staff_notifications(request: HttpRequest, brand: Brand) -> HttpResponse:
    membership = BrandMembership.objects.filter(brand=brand, user=signed_in_user(request)).first()
    if membership is None:  # a site admin looking at a brand she is not on the staff of
        raise Http404(gettext("You are not on this brand's staff."))
    escalations = membership.role != BrandMembership.Role.QA
    initial = {
        "notify_escalation_email": membership.notify_escalation_email,
        "notify_surge_alerts": membership.notify_surge_alerts,
    }
    bound = request.POST if request.method == "POST" else None
    form = StaffNotificationsForm(bound, initial=initial, escalations=escalations)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            services.membership_notifications_update(membership=membership, **form.cleaned_data)
            messages.success(request, gettext("Saved. You get only the messages you ticked."))
            return redirect("marketplace:staff-notifications", slug=brand.slug)
    return render(
        request,
        "marketplace/staff_notifications.html",
        {"brand": brand, "form": form, "escalations": escalations},
        status=status,
    )
