"""Marketplace API: the viewer, brands, catalogue, staff and API keys."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from gigcx.accounts import signed_in_user
from gigcx.idempotency import IDEMPOTENCY_KEY, idempotent
from gigcx.pagination import paginated
from gigcx.serializers import StrictInputSerializer
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from marketplace import selectors, services
from marketplace.models import LANGUAGE_CODES, BrandApiKey, BrandMembership, Category, Product
from marketplace.permissions import IsBrandStaff, PublicReadBrandStaffWrite, brand_of

LANGUAGE_FIELD = serializers.ListField(
    child=serializers.ChoiceField(choices=sorted(LANGUAGE_CODES)), allow_empty=False
)


class ApiRootApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "ApiRoot",
            {
                "me": serializers.URLField(),
                "schema": serializers.URLField(),
                "docs": serializers.URLField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "me": reverse("api:me", request=request),
                "brands": reverse("api:brand-create", request=request),
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
            }
        )


class MeApi(APIView):
    class MembershipSerializer(serializers.Serializer):
        brand = serializers.CharField(source="brand.slug")
        brand_name = serializers.CharField(source="brand.name")
        role = serializers.CharField()

    class ExpertSerializer(serializers.Serializer):
        brand = serializers.CharField(source="brand.slug")
        brand_name = serializers.CharField(source="brand.name")
        status = serializers.CharField()
        tier = serializers.CharField()

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(allow_null=True)
        email = serializers.EmailField(allow_null=True)
        name = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        staff_of = serializers.ListField(child=serializers.DictField())
        expert_in = serializers.ListField(child=serializers.DictField())
        api_key = serializers.DictField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        api_key_id = getattr(user, "api_key_id", None)
        if api_key_id is not None:
            key = BrandApiKey.objects.select_related("brand").get(pk=api_key_id)
            body = {
                "id": None,
                "email": None,
                "name": key.name,
                "roles": ["integration"],
                "staff_of": [
                    {"brand": key.brand.slug, "brand_name": key.brand.name, "role": key.role}
                ],
                "expert_in": [],
                "api_key": {"id": key.pk, "name": key.name, "prefix": key.prefix},
            }
            return Response(body)
        staff = selectors.memberships_of(user=user)
        pools = selectors.expert_memberships_of(user=user)
        roles = ["customer"]
        if pools:
            roles.append("expert")
        if staff:
            roles.append("brand_staff")
        body = {
            "id": user.pk,
            "email": user.email,
            "name": user.display_name,
            "roles": roles,
            "staff_of": self.MembershipSerializer(staff, many=True).data,
            "expert_in": self.ExpertSerializer(pools, many=True).data,
            "api_key": None,
        }
        return Response(self.OutputSerializer(body).data)


class BrandOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    tagline = serializers.CharField()
    website = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    conversation_retention_days = serializers.IntegerField(
        allow_null=True,
        help_text="Days after resolution before conversation text is deleted; null keeps it.",
    )
    anonymous_questions_per_hour = serializers.IntegerField(
        help_text="Questions an hour accepted from visitors without an account (then 429)."
    )
    questions_per_customer_per_day = serializers.IntegerField(
        help_text="Questions a day accepted from one signed-in customer (then 429)."
    )


class BrandCreateApi(APIView):
    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=120)
        slug = serializers.SlugField(max_length=60, required=False, default="")
        tagline = serializers.CharField(max_length=200, required=False, default="")
        website = serializers.URLField(required=False, default="")
        languages = LANGUAGE_FIELD

    @extend_schema(request=InputSerializer, responses={201: BrandOutputSerializer})
    def post(self, request: Request) -> Response:
        if getattr(request.user, "api_key_id", None) is not None:
            raise PermissionDenied(gettext("API keys act for one brand; a person creates brands."))
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        brand = services.brand_create(owner=signed_in_user(request), **incoming.validated_data)
        return Response(BrandOutputSerializer(brand).data, status=status.HTTP_201_CREATED)


class BrandDetailApi(APIView):
    permission_classes = [PublicReadBrandStaffWrite]

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=120, required=False)
        tagline = serializers.CharField(max_length=200, required=False, allow_blank=True)
        website = serializers.URLField(required=False, allow_blank=True)
        languages = LANGUAGE_FIELD
        require_staff_mfa = serializers.BooleanField(
            required=False, help_text="Owners only: every staff member needs two-factor."
        )
        conversation_retention_days = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Owners only: delete the text of resolved conversations after this "
            "many days (7 to 3650); null keeps it.",
        )
        anonymous_questions_per_hour = serializers.IntegerField(
            required=False, help_text="1 to 100000: questions an hour from visitors."
        )
        questions_per_customer_per_day = serializers.IntegerField(
            required=False, help_text="1 to 10000: questions a day from one customer."
        )

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fields["languages"].required = False

    @extend_schema(responses=BrandOutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(BrandOutputSerializer(brand_of(request)).data)

    @extend_schema(request=InputSerializer, responses=BrandOutputSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        brand = services.brand_update(
            brand=brand_of(request), actor=request.user, **incoming.validated_data
        )
        return Response(BrandOutputSerializer(brand).data)


class CategoryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)


class CategoryListCreateApi(APIView):
    permission_classes = [PublicReadBrandStaffWrite]

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=120)
        parent_id = serializers.IntegerField(required=False, allow_null=True, default=None)

    @extend_schema(responses=CategoryOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        categories = selectors.category_list(brand=brand_of(request), viewer=viewer_for(request))
        return paginated(self, request, categories, CategoryOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: CategoryOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        category = services.category_create(
            brand=brand_of(request), actor=request.user, **incoming.validated_data
        )
        return Response(CategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailApi(APIView):
    permission_classes = [PublicReadBrandStaffWrite]

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=120, required=False)
        parent_id = serializers.IntegerField(required=False, allow_null=True)

    def _category(self, request: Request, category_id: int) -> Category:
        category = (
            Category.objects.visible_to(viewer_for(request))
            .filter(brand=brand_of(request), pk=category_id)
            .first()
        )
        if category is None:
            raise NotFound(gettext("No such category."))
        return category

    @extend_schema(responses=CategoryOutputSerializer)
    def get(self, request: Request, slug: str, category_id: int) -> Response:
        return Response(CategoryOutputSerializer(self._category(request, category_id)).data)

    @extend_schema(request=InputSerializer, responses=CategoryOutputSerializer)
    def patch(self, request: Request, slug: str, category_id: int) -> Response:
        category = self._category(request, category_id)
        incoming = self.InputSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        category = services.category_update(
            category=category, actor=request.user, **incoming.validated_data
        )
        return Response(CategoryOutputSerializer(category).data)


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    description = serializers.CharField()
    category_id = serializers.IntegerField(allow_null=True)
    category = serializers.CharField(source="category.name", allow_null=True, default=None)
    is_archived = serializers.BooleanField()


class ProductListCreateApi(APIView):
    permission_classes = [PublicReadBrandStaffWrite]

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=160)
        category_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        description = serializers.CharField(
            max_length=4000, required=False, allow_blank=True, default=""
        )

    @extend_schema(responses=ProductOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        viewer = viewer_for(request)
        include_archived = request.query_params.get("archived") == "1" and viewer.is_staff_of(
            brand_of(request).pk
        )
        products = selectors.product_list(
            brand=brand_of(request), viewer=viewer, include_archived=include_archived
        )
        return paginated(self, request, products, ProductOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: ProductOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        product = services.product_create(
            brand=brand_of(request), actor=request.user, **incoming.validated_data
        )
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    permission_classes = [PublicReadBrandStaffWrite]

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=160, required=False)
        category_id = serializers.IntegerField(required=False, allow_null=True)
        sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
        description = serializers.CharField(max_length=4000, required=False, allow_blank=True)

    def _product(self, request: Request, product_id: int) -> Product:
        product = (
            Product.objects.visible_to(viewer_for(request))
            .filter(brand=brand_of(request), pk=product_id)
            .select_related("category", "brand")
            .first()
        )
        if product is None:
            raise NotFound(gettext("No such product."))
        return product

    @extend_schema(responses=ProductOutputSerializer)
    def get(self, request: Request, slug: str, product_id: int) -> Response:
        return Response(ProductOutputSerializer(self._product(request, product_id)).data)

    @extend_schema(request=InputSerializer, responses=ProductOutputSerializer)
    def patch(self, request: Request, slug: str, product_id: int) -> Response:
        product = self._product(request, product_id)
        incoming = self.InputSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        product = services.product_update(
            product=product, actor=request.user, **incoming.validated_data
        )
        return Response(ProductOutputSerializer(product).data)

    @extend_schema(
        responses=ProductOutputSerializer,
        description="Archives the product: customers and routing stop seeing it; history stays.",
    )
    def delete(self, request: Request, slug: str, product_id: int) -> Response:
        product = services.product_archive(
            product=self._product(request, product_id), actor=request.user
        )
        return Response(ProductOutputSerializer(product).data)


class MemberListApi(APIView):
    permission_classes = [IsBrandStaff]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField(source="user.email")
        name = serializers.CharField(source="user.display_name")
        role = serializers.CharField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        members = (
            BrandMembership.objects.visible_to(viewer_for(request))
            .filter(brand=brand_of(request))
            .select_related("user")
        )
        return paginated(self, request, members, self.OutputSerializer)


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class NoApiKeyPrincipal(IsAuthenticated):
    """Keys must not mint or revoke keys: only people can."""

    message = "API keys cannot manage API keys; sign in as an owner or manager."

    def has_permission(self, request: Request, view: Any) -> bool:
        return (
            super().has_permission(request, view)
            and getattr(request.user, "api_key_id", None) is None
        )


class ApiKeyListCreateApi(APIView):
    permission_classes = [NoApiKeyPrincipal, IsBrandStaff]
    read_roles = EDITOR_ROLES
    write_roles = EDITOR_ROLES

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=80)

    class CreatedSerializer(ApiKeyOutputSerializer):
        key = serializers.CharField(help_text="Shown once; store it now.")

    @extend_schema(responses=ApiKeyOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        keys = BrandApiKey.objects.visible_to(viewer_for(request)).filter(brand=brand_of(request))
        return paginated(self, request, keys, ApiKeyOutputSerializer)

    @extend_schema(
        request=InputSerializer, responses={201: CreatedSerializer}, parameters=[IDEMPOTENCY_KEY]
    )
    @idempotent(secrets=("key",))
    def post(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        key, plain = services.api_key_create(
            brand=brand_of(request), name=incoming.validated_data["name"], actor=request.user
        )
        body = dict(ApiKeyOutputSerializer(key).data, key=plain)
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    permission_classes = [NoApiKeyPrincipal, IsBrandStaff]
    read_roles = EDITOR_ROLES
    write_roles = EDITOR_ROLES

    @extend_schema(request=None, responses=ApiKeyOutputSerializer)
    def delete(self, request: Request, slug: str, key_id: int) -> Response:
        key = (
            BrandApiKey.objects.visible_to(viewer_for(request))
            .filter(brand=brand_of(request), pk=key_id)
            .first()
        )
        if key is None:
            raise NotFound(gettext("No such API key."))
        return Response(
            ApiKeyOutputSerializer(services.api_key_revoke(key=key, actor=request.user)).data
        )
