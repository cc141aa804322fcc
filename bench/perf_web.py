"""The site's ASGI application plus the probe of ``make bench-perf``: ``POST /bench/insert``,
a bare DRF view that validates one field and inserts one row (no authentication, throttles
or sessions of its own). Served by the same server and loaded by the same clients as the ask
endpoint, it is the ceiling question intake is measured against.
"""

# isort: skip_file
# (the site is set up first: the DRF imports below read its settings)
from __future__ import annotations

from typing import Any

from gigcx.asgi import application as site_application  # sets Django up
from django.conf import settings
from perf_pipeline import PROBE_TABLE
from django.db import connection
from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class BareInsert(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=2000)

    def post(self, request: Request) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {PROBE_TABLE} (body) VALUES (%s) RETURNING id",  # noqa: S608
                [incoming.validated_data["body"]],
            )
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=201)


urlpatterns = [
    path("bench/insert", BareInsert.as_view()),
    path("", include(settings.ROOT_URLCONF)),
]
# Every request resolves against this module from now on: the site's URLs and the probe.
settings.ROOT_URLCONF = __name__
application = site_application
