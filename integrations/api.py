"""Webhooks API: a brand's endpoints, their secrets and their delivery log (owners and
managers; a brand API key acts with its role)."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.idempotency import IDEMPOTENCY_KEY, idempotent
from gigcx.pagination import paginated
from gigcx.serializers import StrictInputSerializer
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from integrations import selectors, services
from integrations.models import EVENT_NAMES, WebhookDelivery, WebhookEndpoint
from marketplace.permissions import IsBrandStaff


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_NAMES))
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EndpointWithSecretSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (Standard Webhooks, whsec_...). Shown now; store it."
    )


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint_id = serializers.IntegerField()
    event_type = serializers.CharField()
    message_id = serializers.CharField(help_text="The webhook-id header, the same on every try.")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_response = serializers.CharField()
    last_error = serializers.CharField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    payload = serializers.JSONField()


class _WebhookApi(APIView):
    permission_classes = [IsBrandStaff]
    read_roles = EDITOR_ROLES
    write_roles = EDITOR_ROLES

    def _endpoint(self, request: Request, endpoint_id: int) -> WebhookEndpoint:
        endpoint = selectors.webhook_endpoint_get(
            brand=request.brand,  # type: ignore[attr-defined]
            viewer=viewer_for(request),
            endpoint_id=endpoint_id,
        )
        if endpoint is None:
            raise NotFound(gettext("No such webhook endpoint."))
        return endpoint


class WebhookListCreateApi(_WebhookApi):
    class InputSerializer(StrictInputSerializer):
        url = serializers.CharField(max_length=500)
        events = serializers.ListField(child=serializers.CharField(max_length=40))
        description = serializers.CharField(
            max_length=200, required=False, allow_blank=True, default=""
        )

    @extend_schema(responses=EndpointOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        endpoints = selectors.webhook_endpoint_list(
            brand=request.brand,  # type: ignore[attr-defined]
            viewer=viewer_for(request),
        )
        return paginated(self, request, endpoints, EndpointOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: EndpointWithSecretSerializer},
        parameters=[IDEMPOTENCY_KEY],
        description="Adds an endpoint. The URL must be https on a public address; its host is "
        "resolved now and before every delivery. The response shows the signing secret.",
    )
    @idempotent(secrets=("secret",))
    def post(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            brand=request.brand,  # type: ignore[attr-defined]
            actor=request.user,
            **incoming.validated_data,
        )
        body = dict(EndpointOutputSerializer(endpoint).data, secret=secret)
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(_WebhookApi):
    class InputSerializer(StrictInputSerializer):
        url = serializers.CharField(max_length=500, required=False)
        events = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)
        is_active = serializers.BooleanField(required=False)

    @extend_schema(responses=EndpointOutputSerializer)
    def get(self, request: Request, slug: str, endpoint_id: int) -> Response:
        return Response(EndpointOutputSerializer(self._endpoint(request, endpoint_id)).data)

    @extend_schema(request=InputSerializer, responses=EndpointOutputSerializer)
    def patch(self, request: Request, slug: str, endpoint_id: int) -> Response:
        endpoint = self._endpoint(request, endpoint_id)
        incoming = self.InputSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint=endpoint, actor=request.user, **incoming.validated_data
        )
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(responses={204: None}, description="Deletes the endpoint and its log.")
    def delete(self, request: Request, slug: str, endpoint_id: int) -> Response:
        services.webhook_endpoint_delete(
            endpoint=self._endpoint(request, endpoint_id), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretRotateApi(_WebhookApi):
    @extend_schema(
        request=None,
        responses=EndpointWithSecretSerializer,
        description="A new signing secret, used from the next attempt on; the old one stops.",
    )
    def post(self, request: Request, slug: str, endpoint_id: int) -> Response:
        endpoint = self._endpoint(request, endpoint_id)
        secret = services.webhook_secret_rotate(endpoint=endpoint, actor=request.user)
        return Response(dict(EndpointOutputSerializer(endpoint).data, secret=secret))


class WebhookDeliveryListApi(_WebhookApi):
    @extend_schema(
        responses=DeliveryOutputSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "status", str, enum=WebhookDelivery.Status.values, description="Only this status."
            )
        ],
    )
    def get(self, request: Request, slug: str, endpoint_id: int) -> Response:
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in WebhookDelivery.Status.values:
            raise serializers.ValidationError(
                {
                    "status": [
                        gettext("Use one of %(statuses)s.")
                        % {"statuses": ", ".join(WebhookDelivery.Status.values)}
                    ]
                }
            )
        deliveries = selectors.webhook_delivery_list(
            endpoint=self._endpoint(request, endpoint_id), viewer=viewer_for(request), status=wanted
        )
        return paginated(self, request, deliveries, DeliveryOutputSerializer)


class WebhookDeliveryReplayApi(_WebhookApi):
    @extend_schema(
        request=None,
        responses=DeliveryOutputSerializer,
        description="Sends the delivery again now, with the same webhook-id (a receiver that "
        "already handled it can drop it), and a fresh retry schedule.",
    )
    def post(self, request: Request, slug: str, endpoint_id: int, delivery_id: int) -> Response:
        delivery = selectors.webhook_delivery_get(
            endpoint=self._endpoint(request, endpoint_id),
            viewer=viewer_for(request),
            delivery_id=delivery_id,
        )
        if delivery is None:
            raise NotFound(gettext("No such delivery."))
        delivery = services.webhook_delivery_replay(delivery=delivery, actor=request.user)
        return Response(DeliveryOutputSerializer(delivery).data)
