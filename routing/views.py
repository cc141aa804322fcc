"""HTML pages of routing: the customer's home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gigcx.tenancy import viewer_for
from marketplace.models import Brand


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
    return render(request, "routing/customer_home.html", {"brands": brands})
