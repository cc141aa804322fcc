"""Pool API for staff (list, filter, tier, suspend, reinstate, verification) and the
expert's own profile."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.accounts import signed_in_user
from gigcx.serializers import IdField
from gigcx.tenancy import viewer_for
from marketplace import selectors, services
from marketplace.api.core import LANGUAGE_FIELD, NoApiKeyPrincipal, StrictInputSerializer, paginated
from marketplace.models import (
    LANGUAGE_CODES,
    AvailabilityWindow,
    Expert,
    ExpertProfile,
    ExpertSkill,
)
from marketplace.permissions import IsBrandStaff, brand_of


class ExpertOutputSerializer(serializers.Serializer):
    class SkillSerializer(serializers.Serializer):
        product_id = serializers.IntegerField()
        product = serializers.CharField(source="product.name")
        level = serializers.IntegerField()
        verified_level = serializers.IntegerField(allow_null=True)
        verified_at = serializers.DateTimeField(allow_null=True)

    id = serializers.IntegerField()
    display_name = serializers.SerializerMethodField()
    email = serializers.EmailField(source="user.email")
    status = serializers.CharField()
    status_reason = serializers.CharField()
    tier = serializers.CharField()
    languages = serializers.SerializerMethodField()
    quality_score = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    last_active_at = serializers.DateTimeField(allow_null=True)
    joined_at = serializers.DateTimeField()
    skills = SkillSerializer(many=True)

    def get_display_name(self, expert: Expert) -> str:
        profile = getattr(expert.user, "expert_profile", None)
        return profile.display_name if profile else expert.user.display_name

    def get_languages(self, expert: Expert) -> list[str]:
        profile = getattr(expert.user, "expert_profile", None)
        return list(profile.languages) if profile else []


POOL_FILTERS = [
    OpenApiParameter("status", enum=Expert.Status.values, required=False),
    OpenApiParameter("tier", enum=Expert.Tier.values, required=False),
    OpenApiParameter("product", int, required=False, description="Has a skill on this product."),
    OpenApiParameter("verified", bool, required=False, description="Has a verified skill."),
    OpenApiParameter("language", enum=sorted(LANGUAGE_CODES), required=False),
    OpenApiParameter("q", str, required=False, description="Search name and email."),
    OpenApiParameter("page", int, required=False),
    OpenApiParameter("page_size", int, required=False),
]


class ExpertListApi(APIView):
    permission_classes = [IsBrandStaff]

    class FilterSerializer(StrictInputSerializer):
        status = serializers.ChoiceField(choices=Expert.Status.values, required=False)
        tier = serializers.ChoiceField(choices=Expert.Tier.values, required=False)
        product = IdField(required=False)
        verified = serializers.BooleanField(required=False, allow_null=True, default=None)
        language = serializers.ChoiceField(choices=sorted(LANGUAGE_CODES), required=False)
        q = serializers.CharField(max_length=100, required=False)
        page = serializers.IntegerField(required=False)
        page_size = serializers.IntegerField(required=False)

    @extend_schema(parameters=POOL_FILTERS, responses=ExpertOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        experts = selectors.pool_list(
            brand=brand_of(request),
            viewer=viewer_for(request),
            status=data.get("status"),
            tier=data.get("tier"),
            product_id=data.get("product"),
            verified=data.get("verified"),
            language=data.get("language"),
            search=data.get("q"),
        )
        return paginated(self, request, experts, ExpertOutputSerializer)


def _expert(request: Request, expert_id: int) -> Expert:
    expert = (
        selectors.pool_list(brand=brand_of(request), viewer=viewer_for(request))
        .filter(pk=expert_id)
        .first()
    )
    if expert is None:
        raise NotFound(gettext("No such expert in this brand's pool."))
    return expert


def _fresh(expert: Expert, request: Request) -> dict[str, Any]:
    return ExpertOutputSerializer(_expert(request, expert.pk)).data


class ExpertDetailApi(APIView):
    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        tier = serializers.ChoiceField(choices=Expert.Tier.values)

    @extend_schema(responses=ExpertOutputSerializer)
    def get(self, request: Request, slug: str, expert_id: int) -> Response:
        return Response(ExpertOutputSerializer(_expert(request, expert_id)).data)

    @extend_schema(request=InputSerializer, responses=ExpertOutputSerializer)
    def patch(self, request: Request, slug: str, expert_id: int) -> Response:
        expert = _expert(request, expert_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.expert_tier_set(
            expert=expert, tier=incoming.validated_data["tier"], actor=request.user
        )
        return Response(_fresh(expert, request))


class ExpertSuspendApi(APIView):
    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=2000, help_text="The expert sees it.")

    @extend_schema(request=InputSerializer, responses=ExpertOutputSerializer)
    def post(self, request: Request, slug: str, expert_id: int) -> Response:
        expert = _expert(request, expert_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.expert_suspend(
            expert=expert, actor=request.user, reason=incoming.validated_data["reason"]
        )
        return Response(_fresh(expert, request))


class ExpertReinstateApi(APIView):
    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=2000)
        status = serializers.ChoiceField(
            choices=[Expert.Status.APPROVED, Expert.Status.PROBATION],
            default=Expert.Status.APPROVED,
        )

    @extend_schema(request=InputSerializer, responses=ExpertOutputSerializer)
    def post(self, request: Request, slug: str, expert_id: int) -> Response:
        expert = _expert(request, expert_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.expert_reinstate(expert=expert, actor=request.user, **incoming.validated_data)
        return Response(_fresh(expert, request))


class ExpertSkillVerificationApi(APIView):
    """POST: staff verify the expert's skill on a product at a level. DELETE: withdraw it."""

    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        level = serializers.IntegerField(min_value=1, max_value=5)

    def _skill(self, request: Request, expert_id: int, product_id: int) -> ExpertSkill:
        expert = _expert(request, expert_id)
        skill = (
            ExpertSkill.objects.visible_to(viewer_for(request))
            .filter(expert=expert, product_id=product_id)
            .first()
        )
        if skill is None:
            raise NotFound(gettext("This expert has no skill on that product."))
        return skill

    @extend_schema(request=InputSerializer, responses=ExpertOutputSerializer)
    def post(self, request: Request, slug: str, expert_id: int, product_id: int) -> Response:
        skill = self._skill(request, expert_id, product_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.expert_skill_verify(
            skill=skill, level=incoming.validated_data["level"], actor=request.user
        )
        return Response(_fresh(skill.expert, request))

    @extend_schema(request=None, responses=ExpertOutputSerializer)
    def delete(self, request: Request, slug: str, expert_id: int, product_id: int) -> Response:
        skill = self._skill(request, expert_id, product_id)
        services.expert_skill_unverify(skill=skill, actor=request.user)
        return Response(_fresh(skill.expert, request))


# ---------------------------------------------------------------------------------------
# The expert's own profile
# ---------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "09:00",
        "description": "A local time of day, HH:MM.",
    }
)
class HourMinuteField(serializers.TimeField):
    """A time of day written ``HH:MM``, as the profile sends it back (OpenAPI's ``time``
    format would promise ``HH:MM:SS`` with an offset)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


class WindowSerializer(StrictInputSerializer):
    weekday = serializers.ChoiceField(
        choices=AvailabilityWindow.Weekday.choices, help_text="0 = Monday … 6 = Sunday"
    )
    start = HourMinuteField()
    end = HourMinuteField()


class ProfileOutputSerializer(serializers.Serializer):
    display_name = serializers.CharField()
    initials = serializers.CharField()
    bio = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    timezone = serializers.CharField()
    capacity = serializers.IntegerField()
    notify_offers_browser = serializers.BooleanField()
    notify_offers_email = serializers.BooleanField()
    notify_program_email = serializers.BooleanField()
    availability = WindowSerializer(many=True)
    pools = serializers.SerializerMethodField()

    def get_pools(self, profile: ExpertProfile) -> list[dict[str, str]]:
        pools = Expert.objects.filter(user_id=profile.user_id).select_related("brand")
        return [
            {"brand": pool.brand.slug, "status": pool.status, "tier": pool.tier} for pool in pools
        ]


class ExpertProfileApi(APIView):
    """The signed-in person's expert profile, shared by every brand pool they belong to."""

    permission_classes = [NoApiKeyPrincipal]

    class InputSerializer(StrictInputSerializer):
        display_name = serializers.CharField(max_length=60, required=False)
        bio = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        languages = LANGUAGE_FIELD
        timezone = serializers.CharField(max_length=64, required=False)
        capacity = serializers.IntegerField(min_value=1, max_value=10, required=False)
        notify_offers_browser = serializers.BooleanField(required=False)
        notify_offers_email = serializers.BooleanField(required=False)
        notify_program_email = serializers.BooleanField(required=False)
        availability = WindowSerializer(many=True, required=False)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fields["languages"].required = False

    def _profile(self, request: Request) -> ExpertProfile:
        profile = (
            ExpertProfile.objects.visible_to(viewer_for(request))
            .filter(user_id=request.user.pk)
            .prefetch_related("availability")
            .first()
        )
        if profile is None:
            raise NotFound(
                gettext("You have no expert profile yet; PATCH this address to create it.")
            )
        return profile

    @extend_schema(
        responses={
            200: ProfileOutputSerializer,
            404: OpenApiResponse(description="No expert profile yet: PATCH creates it."),
        }
    )
    def get(self, request: Request) -> Response:
        return Response(ProfileOutputSerializer(self._profile(request)).data)

    @extend_schema(request=InputSerializer, responses=ProfileOutputSerializer)
    def patch(self, request: Request) -> Response:
        incoming = self.InputSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        windows = data.pop("availability", None)
        if windows is not None:
            windows = [(int(w["weekday"]), w["start"], w["end"]) for w in windows]
        if not data and windows is None:
            raise ValidationError(
                {"non_field_errors": [gettext("Send at least one field to change.")]}
            )
        services.expert_profile_update(user=signed_in_user(request), availability=windows, **data)
        return Response(ProfileOutputSerializer(self._profile(request)).data)
