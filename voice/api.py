"""Voice API: talk now, the call's life, its rating, and callbacks."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.db import id_in_range
from gigcx.idempotency import idempotent
from gigcx.permissions import IsExpert, IsPerson
from gigcx.serializers import StrictInputSerializer
from gigcx.tenancy import viewer_for
from voice import selectors, services
from voice.models import Call, CallbackSlot


class CallOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    # Display names only: no addresses, no numbers.
    customer_name = serializers.SerializerMethodField()
    expert_name = serializers.SerializerMethodField()
    you_are = serializers.SerializerMethodField()
    ringing_you = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField()
    connected_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True)

    def get_customer_name(self, call: Call) -> str:
        return str(call.customer.display_name)

    def get_expert_name(self, call: Call) -> str | None:
        return call.expert.display_name if call.expert is not None else None

    def _user_id(self) -> int | None:
        request = self.context.get("request")
        return getattr(getattr(request, "user", None), "pk", None)

    def get_you_are(self, call: Call) -> str:
        user_id = self._user_id()
        if user_id == call.customer_id:
            return "customer"
        if call.expert is not None and user_id == call.expert.user_id:
            return "expert"
        return "other"

    def get_ringing_you(self, call: Call) -> bool:
        user_id = self._user_id()
        return bool(
            user_id is not None
            and call.status == Call.Status.OFFERED
            and call.offers.filter(expert__user_id=user_id, status="offered").exists()
        )


class CallbackOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField()
    expert_name = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    product_name = serializers.SerializerMethodField()
    yours = serializers.SerializerMethodField()

    def get_expert_name(self, slot: CallbackSlot) -> str | None:
        return slot.expert.display_name if slot.expert is not None else None

    def get_customer_name(self, slot: CallbackSlot) -> str:
        return str(slot.customer.display_name)

    def get_product_name(self, slot: CallbackSlot) -> str | None:
        product = slot.question.product
        return product.name if product is not None else None

    def get_yours(self, slot: CallbackSlot) -> bool:
        request = self.context.get("request")
        user_id = getattr(getattr(request, "user", None), "pk", None)
        return bool(slot.expert is not None and slot.expert.user_id == user_id)


class CallStateOutputSerializer(serializers.Serializer):
    call = CallOutputSerializer(allow_null=True)
    callback = CallbackOutputSerializer(allow_null=True)


def _out(request: Request, call: Call, code: int = status.HTTP_200_OK) -> Response:
    return Response(CallOutputSerializer(call, context={"request": request}).data, status=code)


class QuestionCallApi(APIView):
    """The question's newest call and pending callback, as the viewer may see them (a
    question she can see nothing of is not found, as a missing one)."""

    permission_classes = [IsPerson]

    @extend_schema(responses={200: CallStateOutputSerializer})
    def get(self, request: Request, question_id: int) -> Response:
        if not id_in_range(question_id):
            raise NotFound(gettext("No such question."))
        viewer = viewer_for(request)
        call = selectors.call_latest_for_question(viewer=viewer, question_id=question_id)
        slot = selectors.callback_pending_for_question(viewer=viewer, question_id=question_id)
        if (
            call is None
            and slot is None
            and not selectors.question_visible(viewer=viewer, question_id=question_id)
        ):
            raise NotFound(gettext("No such question."))
        return Response(
            CallStateOutputSerializer(
                {"call": call, "callback": slot}, context={"request": request}
            ).data
        )

    @extend_schema(request=None, responses={201: CallOutputSerializer})
    @idempotent()
    def post(self, request: Request, question_id: int) -> Response:
        """Talk now: ring the question's expert (or the matching experts)."""
        call = services.call_request(question_id=question_id, user=request.user)
        return _out(request, call, status.HTTP_201_CREATED)


class CallAcceptApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: CallOutputSerializer})
    def post(self, request: Request, call_id: int) -> Response:
        return _out(request, services.call_accept(call_id=call_id, user=request.user))


class CallDeclineApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: CallOutputSerializer})
    def post(self, request: Request, call_id: int) -> Response:
        return _out(request, services.call_decline(call_id=call_id, user=request.user))


class CallConnectedApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: CallOutputSerializer})
    def post(self, request: Request, call_id: int) -> Response:
        return _out(request, services.call_connected(call_id=call_id, user=request.user))


class CallHangUpApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: CallOutputSerializer})
    def post(self, request: Request, call_id: int) -> Response:
        return _out(request, services.call_hang_up(call_id=call_id, user=request.user))


class CallRateApi(APIView):
    permission_classes = [IsPerson]

    class InputSerializer(StrictInputSerializer):
        rating = serializers.IntegerField(min_value=1, max_value=5)

    @extend_schema(request=InputSerializer, responses={200: CallOutputSerializer})
    def post(self, request: Request, call_id: int) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        call = services.call_rate(
            call_id=call_id, user=request.user, rating=incoming.validated_data["rating"]
        )
        return _out(request, call)


class CallbackBookApi(APIView):
    permission_classes = [IsPerson]

    class InputSerializer(StrictInputSerializer):
        starts_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: CallbackOutputSerializer})
    @idempotent()
    def post(self, request: Request, question_id: int) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        slot = services.callback_book(
            question_id=question_id, user=request.user, **incoming.validated_data
        )
        return Response(
            CallbackOutputSerializer(slot, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CallbackTakeApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: CallbackOutputSerializer})
    def post(self, request: Request, slot_id: int) -> Response:
        slot = services.callback_take(slot_id=slot_id, user=request.user)
        return Response(CallbackOutputSerializer(slot, context={"request": request}).data)


class CallbackCallApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={201: CallOutputSerializer})
    def post(self, request: Request, slot_id: int) -> Response:
        call = services.callback_call(slot_id=slot_id, user=request.user)
        return _out(request, call, status.HTTP_201_CREATED)


class ExpertCallsApi(APIView):
    """Calls ringing for the signed-in expert now (the console shows them)."""

    permission_classes = [IsExpert]

    @extend_schema(responses={200: CallOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        offers = selectors.call_offers_ringing(viewer=viewer_for(request))
        calls = [offer.call for offer in offers]
        return Response(CallOutputSerializer(calls, many=True, context={"request": request}).data)


class ExpertCallbacksApi(APIView):
    """Callbacks the signed-in expert may take, and those she took."""

    permission_classes = [IsExpert]

    @extend_schema(responses={200: CallbackOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        slots = selectors.callbacks_for_expert(viewer=viewer_for(request))
        return Response(
            CallbackOutputSerializer(slots, many=True, context={"request": request}).data
        )
