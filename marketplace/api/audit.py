"""The audit log over the API: a brand's lines for its staff, every line for site admins."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.audit_log import audit_events, audit_filters_parse_strict
from gigcx.pagination import paginated
from gigcx.tenancy import viewer_for
from marketplace.permissions import IsBrandStaff, brand_of

FILTERS = [
    OpenApiParameter(
        "actor", str, required=False, description="A person's id, their email, or 'system'."
    ),
    OpenApiParameter(
        "action",
        str,
        required=False,
        description="One action ('payout.paid') or a family ('payout.').",
    ),
    OpenApiParameter("since", str, required=False, description="First day, included (YYYY-MM-DD)."),
    OpenApiParameter("until", str, required=False, description="Last day, included."),
]


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor = serializers.SerializerMethodField()
    brand_id = serializers.IntegerField(allow_null=True)
    action = serializers.CharField()
    summary = serializers.CharField(help_text="The action in words.")
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    reason = serializers.CharField()
    data = serializers.JSONField()  # type: ignore[assignment]  # the event's data, not .data
    ip = serializers.IPAddressField(allow_null=True)

    def get_actor(self, event: Any) -> str:
        return event.actor.display_name if event.actor is not None else "system"


class BrandAuditApi(APIView):
    """The brand's audit log, newest first, paginated; every staff role may read it."""

    permission_classes = [IsBrandStaff]

    @extend_schema(parameters=FILTERS, responses=AuditEventSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        filters = audit_filters_parse_strict(request.query_params)
        events = audit_events(
            viewer=viewer_for(request), brand_id=brand_of(request).pk, filters=filters
        )
        return paginated(self, request, events, AuditEventSerializer)


class IsSiteAdmin(IsAuthenticated):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not viewer_for(request).is_site_admin:
            raise PermissionDenied(
                gettext(
                    "Only site admins read the whole audit log; brand staff read their brand's "
                    "at /api/v1/brands/{slug}/audit."
                )
            )
        return True


class AuditApi(APIView):
    """Every audit line, including sign-ins and refused pages that belong to no brand: site
    admins only."""

    permission_classes = [IsSiteAdmin]

    @extend_schema(parameters=FILTERS, responses=AuditEventSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = audit_filters_parse_strict(request.query_params)
        events = audit_events(viewer=viewer_for(request), brand_id=None, filters=filters)
        return paginated(self, request, events, AuditEventSerializer)
