"""Data rights over the API: ``GET /api/v1/me/export`` and ``DELETE /api/v1/me``."""

from __future__ import annotations

from django.contrib.auth import logout
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.accounts import signed_in_user
from gigcx.permissions import IsPerson
from gigcx.serializers import StrictInputSerializer
from gigcx.throttling import AnonRateThrottle, UserRateThrottle, WriteRateThrottle, client_ip
from marketplace.api.core import MeApi as MarketplaceMeApi
from privacy import services


class AccountExportApi(APIView):
    """Everything GigCX holds about you, as one JSON document."""

    permission_classes = [IsPerson]
    # Counted per account in the shared cache, with the page's download (privacy.views).
    throttle_scope = "data_export"

    @extend_schema(
        responses={
            200: OpenApiResponse(description="The export (format gigcx-export/1)."),
            429: OpenApiResponse(description="Too many exports; see Retry-After."),
        }
    )
    def get(self, request: Request) -> Response:
        body = services.account_export(user=signed_in_user(request))
        response = Response(body)
        response["Content-Disposition"] = 'attachment; filename="gigcx-my-data.json"'
        response["Cache-Control"] = "no-store"
        return response


class MeApi(MarketplaceMeApi):
    """Who you are (GET), and deleting your own customer account (DELETE)."""

    # DELETE checks a password, so it is limited like a login; GET is not counted.
    throttle_classes = [AnonRateThrottle, UserRateThrottle, WriteRateThrottle]
    throttle_scope = "account_delete"

    class DeleteInputSerializer(StrictInputSerializer):
        confirm = serializers.CharField(
            help_text="Your account's email address or its password.", trim_whitespace=True
        )

    class DeleteOutputSerializer(serializers.Serializer):
        deleted = serializers.BooleanField()
        questions = serializers.IntegerField()
        messages = serializers.IntegerField()
        ratings = serializers.IntegerField()

    @extend_schema(
        request=DeleteInputSerializer,
        responses={
            200: DeleteOutputSerializer,
            400: OpenApiResponse(description="The confirmation does not match."),
            403: OpenApiResponse(description="An API key, or not signed in."),
            409: OpenApiResponse(description="An expert's or staff member's account."),
        },
    )
    def delete(self, request: Request) -> Response:
        if getattr(request.user, "api_key_id", None) is not None:
            raise PermissionDenied(
                gettext("Sign in as yourself; brand API keys cannot delete accounts.")
            )
        incoming = self.DeleteInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        counts = services.account_erase(
            user=signed_in_user(request),
            confirm=incoming.validated_data["confirm"],
            ip=client_ip(request),
        )
        logout(request._request)
        body = {
            "deleted": True,
            "questions": counts["questions"],
            "messages": counts["messages"],
            "ratings": counts["ratings"],
        }
        return Response(self.DeleteOutputSerializer(body).data, status=status.HTTP_200_OK)
