"""Quality API: the customer's rating, reopening, scores, reviews and brand metrics."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.accounts import signed_in_user
from gigcx.idempotency import IDEMPOTENCY_KEY, idempotent
from gigcx.pagination import paginated
from gigcx.permissions import IsExpert
from gigcx.serializers import StrictInputSerializer
from gigcx.tenancy import STAFF_ROLES, viewer_for
from marketplace.models import Expert
from marketplace.permissions import IsBrandStaff, brand_of
from quality import metrics, relationships, selectors, services
from quality.models import ExpertScore, Review
from quality.services.reviews import quality_settings_for
from routing.api import (
    QUESTION_TOKEN,
    IsAuthenticatedOrQuestionToken,
    QuestionOutputSerializer,
    question_for,
)
from routing.models import Message, Question


def question_of_asker(request: Request, question_id: int) -> Question:
    """The question when the caller asked it (signed in, or with its private-link token).
    Others who can see it (its expert, brand staff) get 403; anyone else 404."""
    question, role = question_for(request, question_id)
    if role != Message.Role.CUSTOMER:
        raise PermissionDenied(_("Only the customer who asked can rate or reopen this question."))
    return question


class RatingOutputSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    score = serializers.IntegerField()
    solved = serializers.BooleanField()
    comment = serializers.CharField()
    automated = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    reopened_at = serializers.DateTimeField(allow_null=True)
    can_reopen = serializers.BooleanField()


class QuestionRatingApi(APIView):
    """The asker's rating of a resolved question: 1-5, solved or not, an optional comment."""

    permission_classes = [IsAuthenticatedOrQuestionToken]

    class InputSerializer(StrictInputSerializer):
        score = serializers.IntegerField(
            min_value=1,
            max_value=5,
            error_messages={
                "min_value": _("Rate from 1 (poor) to 5 (excellent)."),
                "max_value": _("Rate from 1 (poor) to 5 (excellent)."),
            },
        )
        solved = serializers.BooleanField()
        comment = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=2000
        )

    @extend_schema(parameters=[QUESTION_TOKEN], responses=RatingOutputSerializer)
    def get(self, request: Request, question_id: int) -> Response:
        question, _role = question_for(request, question_id)
        rating = selectors.rating_for_question(question_id=question.pk)
        if rating is None:
            raise NotFound(_("This question has not been rated yet."))
        return Response(RatingOutputSerializer(rating).data)

    @extend_schema(
        parameters=[QUESTION_TOKEN, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: RatingOutputSerializer},
        description="Rate a resolved question, once. 409 before resolution or when rated; a "
        "retry with the same Idempotency-Key returns the first answer instead.",
    )
    @idempotent()
    def post(self, request: Request, question_id: int) -> Response:
        question = question_of_asker(request, question_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rating = services.rating_create(
            question=question, actor=request.user, **incoming.validated_data
        )
        return Response(RatingOutputSerializer(rating).data, status=status.HTTP_201_CREATED)


class QuestionReopenApi(APIView):
    """Not solved: open the question again (back to its expert when she is online)."""

    permission_classes = [IsAuthenticatedOrQuestionToken]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    @extend_schema(
        parameters=[QUESTION_TOKEN], request=InputSerializer, responses=QuestionOutputSerializer
    )
    def post(self, request: Request, question_id: int) -> Response:
        question = question_of_asker(request, question_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        question = services.rating_reopen(
            question=question, actor=request.user, reason=incoming.validated_data["reason"]
        )
        return Response(QuestionOutputSerializer(question, context={"role": "customer"}).data)


class ScoreOutputSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField()
    trigger = serializers.CharField()
    score = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    tier = serializers.CharField()
    ratings_count = serializers.IntegerField()
    csat_mean = serializers.FloatField(allow_null=True)
    csat_bayes = serializers.FloatField(allow_null=True)
    brand_mean = serializers.FloatField(allow_null=True)
    handled_count = serializers.IntegerField()
    resolution_rate = serializers.FloatField(allow_null=True)
    qa_average = serializers.FloatField(allow_null=True)
    acceptance_rate = serializers.FloatField(allow_null=True)
    first_reply_seconds = serializers.FloatField(allow_null=True)
    sentiment_lift = serializers.FloatField(allow_null=True)
    lift_count = serializers.IntegerField()
    empathy_fit = serializers.FloatField(allow_null=True)
    upset_count = serializers.IntegerField()
    parts = serializers.DictField()


class ExpertQualityApi(APIView):
    """An expert's score history, newest first (staff)."""

    permission_classes = [IsBrandStaff]

    @extend_schema(responses=ScoreOutputSerializer(many=True))
    def get(self, request: Request, slug: str, expert_id: int) -> Response:
        expert = pool_expert(request, expert_id)
        scores = ExpertScore.objects.visible_to(viewer_for(request)).filter(expert=expert)
        return paginated(self, request, scores, ScoreOutputSerializer)


class ExpertProbationApi(APIView):
    """Staff decide on an expert a run of low ratings put on probation: lift or suspend."""

    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        decision = serializers.ChoiceField(choices=["lift", "suspend"])
        reason = serializers.CharField(max_length=500)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()
        status_reason = serializers.CharField()
        tier = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, slug: str, expert_id: int) -> Response:
        expert = pool_expert(request, expert_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        expert = services.expert_probation_decide(
            expert=expert, actor=request.user, **incoming.validated_data
        )
        return Response(self.OutputSerializer(expert).data)


def pool_expert(request: Request, expert_id: int) -> Expert:
    expert = (
        Expert.objects.visible_to(viewer_for(request))
        .filter(brand=brand_of(request), pk=expert_id)
        .select_related("brand", "user")
        .first()
    )
    if expert is None:
        raise NotFound(_("No such expert in this pool."))
    return expert


class ExpertStandingApi(APIView):
    """Your standing in each pool: score, its parts, tier and what the next tier needs."""

    permission_classes = [IsExpert]

    class OutputSerializer(serializers.Serializer):
        brand = serializers.CharField(source="expert.brand.slug")
        status = serializers.CharField(source="expert.status")
        tier = serializers.CharField(source="expert.tier")
        next_tier = serializers.CharField(allow_null=True)
        latest = ScoreOutputSerializer(allow_null=True)
        trend = serializers.SerializerMethodField()
        badges = serializers.SerializerMethodField()
        on_leaderboard = serializers.BooleanField()

        def get_badges(self, standing: Any) -> list[dict[str, Any]]:
            return [
                {
                    "kind": badge.kind,
                    "label": rule.label,
                    "period": badge.period,
                    "earned_at": badge.earned_at,
                    "detail": badge.detail,
                }
                for rule, earned in standing.badges
                for badge in earned
            ]

        def get_trend(self, standing: Any) -> list[dict[str, Any]]:
            return [
                {"computed_at": s.computed_at, "score": s.score, "tier": s.tier}
                for s in standing.trend
            ]

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        standings = selectors.expert_standing(user_id=signed_in_user(request).pk)
        return Response(self.OutputSerializer(standings, many=True).data)


class ExpertHistoryApi(APIView):
    """The conversations you handled, newest first, with their ratings."""

    permission_classes = [IsExpert]

    class OutputSerializer(serializers.Serializer):
        question_id = serializers.IntegerField()
        brand = serializers.CharField(source="question.brand.slug")
        product = serializers.CharField(
            source="question.product.name", allow_null=True, default=None
        )
        status = serializers.CharField()
        ended_at = serializers.DateTimeField(allow_null=True)
        rating = serializers.IntegerField(source="rating_score", allow_null=True)
        solved = serializers.BooleanField(source="rating_solved", allow_null=True)
        comment = serializers.CharField(source="rating_comment", allow_null=True)

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.expert_handled_assignments(user_id=signed_in_user(request).pk)
        return paginated(self, request, rows, self.OutputSerializer)


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    expert_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    status = serializers.CharField()
    empathy = serializers.IntegerField(allow_null=True)
    accuracy = serializers.IntegerField(allow_null=True)
    tone = serializers.IntegerField(allow_null=True)
    policy = serializers.IntegerField(allow_null=True)
    average = serializers.FloatField(allow_null=True)
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)


REVIEW_STATUS = OpenApiParameter("status", enum=Review.Status.values, required=False)


class ReviewListApi(APIView):
    """The brand's review queue (any staff role reads it)."""

    permission_classes = [IsBrandStaff]

    @extend_schema(parameters=[REVIEW_STATUS], responses=ReviewOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        reviews = Review.objects.visible_to(viewer_for(request)).filter(brand=brand_of(request))
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Review.Status.values:
                raise serializers.ValidationError({"status": [_("Use pending or done.")]})
            reviews = reviews.filter(status=wanted)
        return paginated(self, request, reviews, ReviewOutputSerializer)


class ReviewDetailApi(APIView):
    """One review; quality reviewers (and owners, managers) score it once."""

    permission_classes = [IsBrandStaff]
    write_roles = STAFF_ROLES  # QA writes reviews (and nothing else)

    class InputSerializer(StrictInputSerializer):
        empathy = serializers.IntegerField()
        accuracy = serializers.IntegerField()
        tone = serializers.IntegerField()
        policy = serializers.IntegerField()
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    def review(self, request: Request, review_id: int) -> Review:
        review = (
            Review.objects.visible_to(viewer_for(request))
            .filter(brand=brand_of(request), pk=review_id)
            .first()
        )
        if review is None:
            raise NotFound(_("No such review."))
        return review

    @extend_schema(responses=ReviewOutputSerializer)
    def get(self, request: Request, slug: str, review_id: int) -> Response:
        return Response(ReviewOutputSerializer(self.review(request, review_id)).data)

    @extend_schema(request=InputSerializer, responses=ReviewOutputSerializer)
    def post(self, request: Request, slug: str, review_id: int) -> Response:
        review = self.review(request, review_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        review = services.review_submit(
            review=review, reviewer=request.user, **incoming.validated_data
        )
        return Response(ReviewOutputSerializer(review).data)


class QualitySettingsApi(APIView):
    """The brand's quality knobs: the random share of conversations sent to review."""

    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        review_sample_percent = serializers.IntegerField()

    class OutputSerializer(serializers.Serializer):
        review_sample_percent = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(self.OutputSerializer(quality_settings_for(brand_of(request).pk)).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        settings = services.quality_settings_update(
            brand=brand_of(request), actor=request.user, **incoming.validated_data
        )
        return Response(self.OutputSerializer(settings).data)


class ExpertReviewsApi(APIView):
    """Your finished quality reviews, newest first."""

    permission_classes = [IsExpert]

    @extend_schema(responses=ReviewOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        reviews = (
            Review.objects.visible_to(viewer_for(request))
            .filter(expert__user_id=request.user.pk, status=Review.Status.DONE)
            .order_by("-reviewed_at")
        )
        return paginated(self, request, reviews, ReviewOutputSerializer)


class BrandCustomerApi(APIView):
    """One customer's relationship with the brand (staff): her questions with their ratings,
    sentiment lift and experts, her ratings over time, the experts she has met. 404 when she
    never asked this brand anything. Definitions: quality/relationships.py."""

    permission_classes = [IsBrandStaff]

    class OutputSerializer(serializers.Serializer):
        class QuestionSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            created_at = serializers.DateTimeField()
            product = serializers.CharField(allow_null=True)
            status = serializers.CharField()
            rating = serializers.IntegerField(allow_null=True)
            solved = serializers.BooleanField(allow_null=True)
            sentiment_lift = serializers.FloatField(allow_null=True)
            experts = serializers.ListField(child=serializers.CharField())

        class ExpertSeenSerializer(serializers.Serializer):
            expert_id = serializers.IntegerField()
            expert = serializers.CharField()
            conversations = serializers.IntegerField()
            ratings = serializers.IntegerField()
            csat_mean = serializers.FloatField(allow_null=True)

        customer_id = serializers.IntegerField(source="customer.pk")
        customer = serializers.CharField(source="customer.display_name")
        question_count = serializers.IntegerField()
        first_asked = serializers.DateTimeField()
        csat_mean = serializers.FloatField(allow_null=True)
        csat_trend = serializers.CharField()
        ratings = serializers.SerializerMethodField()
        experts = ExpertSeenSerializer(many=True)
        questions = QuestionSerializer(many=True)

        def get_ratings(self, relationship: Any) -> list[dict[str, Any]]:
            return [{"at": at, "score": score} for at, score in relationship.ratings]

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, slug: str, customer_id: int) -> Response:
        relationship = relationships.customer_relationship(
            brand=brand_of(request), customer_id=customer_id
        )
        if relationship is None:
            raise NotFound(_("This person has not asked this brand anything."))
        return Response(self.OutputSerializer(relationship).data)


class BrandMetricsApi(APIView):
    """The brand's service figures for a date range (questions asked from ``from`` to ``to``,
    both inclusive, YYYY-MM-DD; the last 30 days by default): overall, by product, by expert
    (the 100 with most conversations; the CSV export lists all) and by day; with
    ``customers=true`` also returning customers (``customers``) and the 20 customers who asked
    most (``top_customers``), computed live. Definitions: quality/metrics.py and
    quality/relationships.py."""

    permission_classes = [IsBrandStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=False, description="First day, YYYY-MM-DD."),
            OpenApiParameter("to", str, required=False, description="Last day, YYYY-MM-DD."),
            OpenApiParameter(
                "customers",
                bool,
                required=False,
                description="Also returning customers and the customers who ask most.",
            ),
        ],
        responses={200: dict},
    )
    def get(self, request: Request, slug: str) -> Response:
        period = metrics.period_parse(
            request.query_params.get("from"), request.query_params.get("to")
        )
        wanted = request.query_params.get("customers", "").lower()
        if wanted not in ("", "true", "false", "1", "0"):
            raise serializers.ValidationError({"customers": [_("Use true or false.")]})
        parts = metrics.FULL if wanted in ("true", "1") else metrics.FULL[:-1]
        return Response(metrics.brand_metrics(brand=brand_of(request), period=period, parts=parts))
