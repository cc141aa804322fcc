"""The brand's audit log for its staff: browse with filters, and export as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone, translation

from gigcx.audit_log import (
    audit_action_choices,
    audit_actor_choices,
    audit_csv_rows,
    audit_events,
    audit_filters_parse,
)
from gigcx.i18n import iterate_in
from gigcx.tenancy import viewer_for
from marketplace.models import Brand
from marketplace.views.core import brand_staff_page

PAGE_SIZE = 50


class _Echo:
    """csv.writer writes into this and gets the line back, so rows stream as they are read."""

    def write(self, value: str) -> str:
        return value


@brand_staff_page()
def brand_audit(request: HttpRequest, brand: Brand) -> HttpResponse:
    """Who did what in the brand, newest first, in words; filters by person, action and days.
    Every staff role reads it (it changes nothing)."""
    viewer = viewer_for(request)
    filters, errors = audit_filters_parse(request.GET)
    events = audit_events(viewer=viewer, brand_id=brand.pk, filters=filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/brand_audit.html",
        {
            "brand": brand,
            "page": page,
            "filters": filters,
            "query": filters.query(),
            "errors": [m for messages in errors.values() for m in messages],
            "actors": audit_actor_choices(viewer=viewer, brand_id=brand.pk),
            "actions": audit_action_choices(viewer=viewer, brand_id=brand.pk),
        },
        status=400 if errors else 200,
    )


@brand_staff_page()
def brand_audit_csv(request: HttpRequest, brand: Brand) -> HttpResponseBase:
    """The same lines as the page, with the same filters, as a CSV file (streamed). Cells that
    a spreadsheet would run as a formula are neutralised."""
    filters, errors = audit_filters_parse(request.GET)
    if errors:
        return HttpResponse(
            "\n".join(m for messages in errors.values() for m in messages) + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    events = audit_events(viewer=viewer_for(request), brand_id=brand.pk, filters=filters)
    writer = csv.writer(_Echo())
    # The body streams after the request's language is restored: written in it all the same.
    rows = iterate_in(translation.get_language(), audit_csv_rows(events.iterator(chunk_size=2000)))

    def lines() -> Iterator[str]:
        for row in rows:
            yield writer.writerow(row)

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{brand.slug}-audit-{stamp}.csv"'
    return response
