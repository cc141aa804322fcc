from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=2&page_size=50``; page size capped so one request cannot ask for everything."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


def paginated(
    view: APIView, request: Request, queryset: QuerySet[Any], serializer: type
) -> Response:
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)
