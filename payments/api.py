"""Payments API: the expert's earnings and payouts; the brand's rate card and payout batches."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.pagination import paginated
from gigcx.permissions import IsExpert
from gigcx.serializers import StrictInputSerializer
from marketplace.models import Expert
from marketplace.permissions import IsBrandStaff
from payments import selectors, services
from payments.models import CURRENCY_EXPONENTS, Earning, PayoutBatch, PayoutDestination

AMOUNT = {"min_value": 1, "max_value": 10**12}


class BalanceSerializer(serializers.Serializer):
    brand = serializers.CharField()
    brand_name = serializers.CharField()
    currency = serializers.CharField()
    pending = serializers.IntegerField()
    available = serializers.IntegerField()
    paid_out = serializers.IntegerField(help_text="Includes payouts still in transit.")
    in_transit = serializers.IntegerField()


class EarningSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    brand = serializers.CharField(source="brand.slug")
    product = serializers.CharField(source="question.product.name", default=None, allow_null=True)
    currency = serializers.CharField()
    gross = serializers.IntegerField()
    fee = serializers.IntegerField()
    net = serializers.IntegerField()
    bonus = serializers.IntegerField()
    status = serializers.CharField()
    hold = serializers.CharField()
    hold_reason = serializers.CharField()
    earned_at = serializers.DateTimeField()
    clears_at = serializers.DateTimeField()


class ExpertEarningsApi(APIView):
    permission_classes = [IsExpert]

    class OutputSerializer(serializers.Serializer):
        balances = BalanceSerializer(many=True)
        earnings = EarningSerializer(many=True)

    @extend_schema(
        responses=OutputSerializer,
        description="Balances per brand and currency (minor units) and the latest 200 earnings.",
    )
    def get(self, request: Request) -> Response:
        body = {
            "balances": [vars(b) for b in selectors.expert_balances(user_id=request.user.pk)],
            "earnings": list(selectors.expert_earnings(user_id=request.user.pk)[:200]),
        }
        return Response(self.OutputSerializer(body).data)


class PayoutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    brand = serializers.CharField(source="brand.slug")
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    provider = serializers.CharField()
    destination = serializers.CharField(source="destination.masked")
    batch_id = serializers.IntegerField(allow_null=True)
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class ExpertPayoutsApi(APIView):
    permission_classes = [IsExpert]

    class InputSerializer(StrictInputSerializer):
        brand = serializers.SlugField(help_text="The brand program to be paid from.")
        amount = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Minor units; leave out for the whole available balance.",
            **AMOUNT,
        )
        currency = serializers.ChoiceField(
            choices=sorted(CURRENCY_EXPONENTS), required=False, allow_null=True, default=None
        )

    @extend_schema(responses=PayoutSerializer(many=True))
    def get(self, request: Request) -> Response:
        return paginated(
            self, request, selectors.expert_payouts(user_id=request.user.pk), PayoutSerializer
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: PayoutSerializer, 200: PayoutSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Retrying with the same key returns the first payout (200).",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        expert = (
            Expert.objects.filter(user=request.user, brand__slug=data["brand"])
            .select_related("brand")
            .first()
        )
        if expert is None:
            raise serializers.ValidationError(
                {"brand": [gettext("You are not an expert of this brand.")]}
            )
        client_key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(client_key) > 120:
            raise serializers.ValidationError(
                {"Idempotency-Key": [gettext("At most 120 characters.")]}
            )
        payout = services.payout_request(
            user=request.user,
            brand=expert.brand,
            amount=data["amount"],
            currency=data["currency"],
            client_key=client_key,
        )
        replayed = getattr(payout, "replayed", False)
        return Response(
            PayoutSerializer(payout).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )


class DestinationSerializer(serializers.Serializer):
    provider = serializers.CharField()
    masked = serializers.CharField()
    account_holder = serializers.CharField()
    created_at = serializers.DateTimeField()


class ExpertPayoutDestinationApi(APIView):
    permission_classes = [IsExpert]

    class InputSerializer(StrictInputSerializer):
        provider = serializers.ChoiceField(choices=PayoutDestination.Provider.choices)
        stripe_account = serializers.CharField(max_length=64, required=False, default="")
        account_holder = serializers.CharField(max_length=120, required=False, default="")
        iban = serializers.CharField(max_length=42, required=False, default="")

    @extend_schema(
        responses={
            200: DestinationSerializer,
            404: OpenApiResponse(description=gettext("No payout destination connected yet.")),
        }
    )
    def get(self, request: Request) -> Response:
        destination = PayoutDestination.objects.filter(user=request.user, is_active=True).first()
        if destination is None:
            raise NotFound(gettext("No payout destination connected yet."))
        return Response(DestinationSerializer(destination).data)

    @extend_schema(request=InputSerializer, responses=DestinationSerializer)
    def put(self, request: Request) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        destination = services.payout_destination_set(user=request.user, **incoming.validated_data)
        return Response(DestinationSerializer(destination).data)


class RateCardLineSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    category_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    amount = serializers.IntegerField(min_value=0, max_value=10**9)


class RateCardVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    effective_from = serializers.DateTimeField()
    currency = serializers.CharField()
    default_amount = serializers.IntegerField()
    platform_fee_bps = serializers.IntegerField()
    clearance_days = serializers.IntegerField()
    bonus_amount = serializers.IntegerField()
    bonus_min_rating = serializers.IntegerField()
    hold_below_rating = serializers.IntegerField()
    call_amount = serializers.IntegerField()
    call_minute_amount = serializers.IntegerField()
    surge_bonus_amount = serializers.IntegerField()
    lines = RateCardLineSerializer(many=True, source="lines.all")


class RateCardApi(APIView):
    """Staff read the rate card in force (and its history); owners and managers save a new
    version, in force for questions resolved from now on."""

    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        currency = serializers.ChoiceField(choices=sorted(CURRENCY_EXPONENTS))
        default_amount = serializers.IntegerField(min_value=0, max_value=10**9)
        platform_fee_bps = serializers.IntegerField(min_value=0, max_value=10000)
        clearance_days = serializers.IntegerField(min_value=0, max_value=90, default=3)
        bonus_amount = serializers.IntegerField(min_value=0, max_value=10**9, default=0)
        bonus_min_rating = serializers.IntegerField(min_value=1, max_value=5, default=5)
        hold_below_rating = serializers.IntegerField(min_value=0, max_value=5, default=0)
        surge_bonus_amount = serializers.IntegerField(min_value=0, max_value=10**9, default=0)
        lines = RateCardLineSerializer(many=True, required=False, default=list)
        # Voice calls: per connected call and per started minute (minor units).
        call_amount = serializers.IntegerField(min_value=0, max_value=10**9, default=0)
        call_minute_amount = serializers.IntegerField(min_value=0, max_value=10**9, default=0)

    class OutputSerializer(serializers.Serializer):
        current = RateCardVersionSerializer(allow_null=True)
        history = RateCardVersionSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        cards = list(request.brand.rate_cards.prefetch_related("lines").order_by("-version")[:20])
        return Response(
            self.OutputSerializer({"current": cards[0] if cards else None, "history": cards}).data
        )

    @extend_schema(request=InputSerializer, responses={201: RateCardVersionSerializer})
    def put(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        card = services.rate_card_create(
            brand=request.brand, actor=request.user, **incoming.validated_data
        )
        return Response(RateCardVersionSerializer(card).data, status=status.HTTP_201_CREATED)


class BatchSerializer(serializers.Serializer):
    class LineSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        expert_id = serializers.IntegerField()
        expert = serializers.CharField(source="expert.user.display_name")
        amount = serializers.IntegerField()
        currency = serializers.CharField()
        provider = serializers.CharField()
        destination = serializers.CharField(source="destination.masked")
        status = serializers.CharField()

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    payouts = LineSerializer(many=True, source="payouts.all")


class PayoutBatchesApi(APIView):
    """Staff list the brand's payout batches; owners and managers run one."""

    permission_classes = [IsBrandStaff]

    @extend_schema(responses=BatchSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        return paginated(
            self, request, selectors.brand_batches(brand=request.brand), BatchSerializer
        )

    @extend_schema(request=None, responses={201: BatchSerializer})
    def post(self, request: Request, slug: str) -> Response:
        batch = services.payout_batch_run(brand=request.brand, actor=request.user)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class PayoutBatchPaidApi(APIView):
    """Owners and managers confirm that the bank accepted lines of a batch file."""

    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        payout_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=1000
        )

    class OutputSerializer(serializers.Serializer):
        marked_paid = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, slug: str, batch_id: int) -> Response:
        batch = PayoutBatch.objects.filter(brand=request.brand, pk=batch_id).first()
        if batch is None:
            raise NotFound(gettext("No such batch."))
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        ids = [
            pk
            for pk in incoming.validated_data["payout_ids"]
            if batch.payouts.filter(pk=pk).exists()
        ]
        changed = services.payout_mark_paid(brand=request.brand, payout_ids=ids, actor=request.user)
        return Response(self.OutputSerializer({"marked_paid": changed}).data)


class ReasonInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=300)


class _EarningActionApi(APIView):
    permission_classes = [IsBrandStaff]
    action_name = ""

    def act(self, request: Request, earning_id: int, reason: str) -> Earning:
        raise NotImplementedError

    def post(self, request: Request, slug: str, earning_id: int) -> Response:
        incoming = ReasonInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        earning = self.act(request, earning_id, incoming.validated_data["reason"])
        return Response(EarningSerializer(earning).data)


@extend_schema(request=ReasonInput, responses=EarningSerializer)
class EarningHoldApi(_EarningActionApi):
    """Hold a pending earning so it does not clear."""

    def act(self, request: Request, earning_id: int, reason: str) -> Earning:
        return services.earning_hold(
            earning_id=earning_id, actor=request.user, reason=reason, brand=request.brand
        )


@extend_schema(request=ReasonInput, responses=EarningSerializer)
class EarningReleaseApi(_EarningActionApi):
    """Release a held earning (it clears at once if its clearance date has passed)."""

    def act(self, request: Request, earning_id: int, reason: str) -> Earning:
        return services.earning_release(
            earning_id=earning_id, actor=request.user, reason=reason, brand=request.brand
        )


@extend_schema(request=ReasonInput, responses=EarningSerializer)
class EarningReverseApi(_EarningActionApi):
    """Reverse an earning with a reversing ledger transaction."""

    def act(self, request: Request, earning_id: int, reason: str) -> Earning:
        return services.earning_reverse(
            earning_id=earning_id, actor=request.user, reason=reason, brand=request.brand
        )
