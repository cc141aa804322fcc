"""Recruitment API: invitations, applications and their review, quizzes and attempts,
and the CSV imports (purchasers to invite, catalogue)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.accounts import signed_in_user
from gigcx.idempotency import IDEMPOTENCY_KEY, idempotent
from gigcx.tenancy import viewer_for
from gigcx.throttling import AnonRateThrottle, UserRateThrottle, WriteRateThrottle
from marketplace import selectors, services
from marketplace.api.core import LANGUAGE_FIELD, NoApiKeyPrincipal, StrictInputSerializer, paginated
from marketplace.csv_rows import CsvReport, csv_decode
from marketplace.models import Application, Expert, Invitation, Quiz, QuizAttempt
from marketplace.permissions import IsBrandStaff, IsBrandStaffOrApplicant, brand_of, staff_request

# ---------------------------------------------------------------------------------------
# CSV imports: preview (validate, write nothing) or confirm (validate again, then write)
# ---------------------------------------------------------------------------------------


class CsvImportInputSerializer(StrictInputSerializer):
    file = serializers.FileField(required=False, help_text="The CSV file (multipart upload).")
    csv = serializers.CharField(
        required=False, trim_whitespace=False, help_text="Or the CSV text itself (JSON clients)."
    )
    confirm = serializers.BooleanField(
        default=False, help_text="false: preview only. true: import (validated again)."
    )
    only_valid = serializers.BooleanField(
        default=False,
        help_text="With confirm: import the valid rows of a file that has invalid ones.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("file")) == bool(attrs.get("csv")):
            raise ValidationError({"file": [gettext("Send a CSV file, or the CSV text in 'csv'.")]})
        upload = attrs.pop("file", None)
        attrs["text"] = csv_decode(upload.read() if upload else attrs.pop("csv"))
        attrs.pop("csv", None)
        return attrs


class CsvReportSerializer(serializers.Serializer):
    class RowSerializer(serializers.Serializer):
        line = serializers.IntegerField()
        values = serializers.DictField(child=serializers.CharField())
        errors = serializers.ListField(child=serializers.CharField())
        notes = serializers.ListField(child=serializers.CharField())

    total = serializers.IntegerField()
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    imported = serializers.IntegerField(help_text="Rows written; 0 for a preview.")
    rows = RowSerializer(many=True)


def _report_body(report: CsvReport, imported: int) -> dict[str, Any]:
    return dict(report.as_json(), imported=imported)


class CsvImportApi(APIView):
    permission_classes = [IsBrandStaff]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    what = ""

    def validate(self, brand: Any, text: str) -> CsvReport:
        raise NotImplementedError

    def commit(self, brand: Any, text: str, actor: Any, only_valid: bool) -> tuple[Any, list]:
        raise NotImplementedError

    def post(self, request: Request, slug: str) -> Response:
        incoming = CsvImportInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if not data["confirm"]:
            return Response(_report_body(self.validate(brand_of(request), data["text"]), 0))
        report, created = self.commit(
            brand_of(request), data["text"], request.user, data["only_valid"]
        )
        return Response(_report_body(report, len(created)), status=status.HTTP_201_CREATED)


class InvitationImportApi(CsvImportApi):
    @extend_schema(
        request=CsvImportInputSerializer,
        responses={200: CsvReportSerializer, 201: CsvReportSerializer},
        description="Invite purchasers from a CSV file with columns `email` and `products` "
        "(SKUs or names separated by `;`). Without `confirm` nothing is written and the "
        "per-row report is returned. A file with invalid rows imports nothing unless "
        "`only_valid` is true.",
    )
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def validate(self, brand: Any, text: str) -> CsvReport:
        return services.invitation_import_validate(brand=brand, text=text)

    def commit(self, brand: Any, text: str, actor: Any, only_valid: bool) -> tuple[Any, list]:
        return services.invitation_import(
            brand=brand, text=text, actor=actor, only_valid=only_valid
        )


class ProductImportApi(CsvImportApi):
    @extend_schema(
        request=CsvImportInputSerializer,
        responses={200: CsvReportSerializer, 201: CsvReportSerializer},
        description="Import products from a CSV file with columns `name`, `category` (a path "
        "such as `Footwear / Running`; missing categories are created), `sku`, "
        "`description`. Preview first; see the invitations import for `confirm`.",
    )
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def validate(self, brand: Any, text: str) -> CsvReport:
        return services.catalogue_import_validate(brand=brand, text=text)

    def commit(self, brand: Any, text: str, actor: Any, only_valid: bool) -> tuple[Any, list]:
        return services.catalogue_import(brand=brand, text=text, actor=actor, only_valid=only_valid)


# ---------------------------------------------------------------------------------------
# Invitations (staff)
# ---------------------------------------------------------------------------------------


class ProductRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    state = serializers.ChoiceField(choices=Invitation.State.choices)
    products = ProductRefSerializer(many=True)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    send_count = serializers.IntegerField()
    last_sent_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


def _invitation(request: Request, invitation_id: int) -> Invitation:
    invitation = (
        selectors.invitation_list(brand=brand_of(request), viewer=viewer_for(request))
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise NotFound(gettext("No such invitation."))
    return invitation


class InvitationListCreateApi(APIView):
    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField()
        product_ids = serializers.ListField(
            child=serializers.IntegerField(), required=False, default=list
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("state", enum=Invitation.State.values, required=False),
            OpenApiParameter("page", int, required=False),
        ],
        responses=InvitationOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        state = request.query_params.get("state") or None
        if state and state not in Invitation.State.values:
            raise ValidationError(
                {
                    "state": [
                        gettext("Use one of: %(value1)s.")
                        % {"value1": ", ".join(Invitation.State.values)}
                    ]
                }
            )
        invitations = selectors.invitation_list(
            brand=brand_of(request), viewer=viewer_for(request), state=state
        )
        return paginated(self, request, invitations, InvitationOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: InvitationOutputSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent()
    def post(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            brand=brand_of(request), actor=request.user, **incoming.validated_data
        )
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationResendApi(APIView):
    permission_classes = [IsBrandStaff]

    @extend_schema(request=None, responses=InvitationOutputSerializer)
    def post(self, request: Request, slug: str, invitation_id: int) -> Response:
        invitation = services.invitation_resend(
            invitation=_invitation(request, invitation_id), actor=request.user
        )
        return Response(InvitationOutputSerializer(invitation).data)


class InvitationRevokeApi(APIView):
    permission_classes = [IsBrandStaff]

    @extend_schema(request=None, responses=InvitationOutputSerializer)
    def post(self, request: Request, slug: str, invitation_id: int) -> Response:
        invitation = services.invitation_revoke(
            invitation=_invitation(request, invitation_id), actor=request.user
        )
        return Response(InvitationOutputSerializer(invitation).data)


class InvitationAcceptApi(APIView):
    """Accept an invitation link's token as the signed-in person (apps; the web uses the link)."""

    permission_classes = [NoApiKeyPrincipal]

    class InputSerializer(StrictInputSerializer):
        token = serializers.CharField(max_length=400)

    class OutputSerializer(serializers.Serializer):
        brand = serializers.CharField(source="brand.slug")
        brand_name = serializers.CharField(source="brand.name")
        state = serializers.CharField()
        products = ProductRefSerializer(many=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(description="The invitation link is not valid (or expired)."),
        },
    )
    def post(self, request: Request) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        invitation = services.invitation_accept(
            token=incoming.validated_data["token"], user=signed_in_user(request)
        )
        return Response(self.OutputSerializer(invitation).data)


# ---------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------


class ApplicationOutputSerializer(serializers.Serializer):
    class ItemSerializer(serializers.Serializer):
        product_id = serializers.IntegerField()
        product = serializers.CharField(source="product.name")
        level = serializers.IntegerField()

    id = serializers.IntegerField()
    brand = serializers.CharField(source="brand.slug")
    applicant = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")
    status = serializers.ChoiceField(choices=Application.Status.choices)
    products = ItemSerializer(source="items", many=True)
    languages = serializers.ListField(child=serializers.CharField())
    motivation = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()


class ApplicationListCreateApi(APIView):
    """Staff: the brand's applications (the review queue). Anyone else: their own; POST applies."""

    permission_classes = [IsBrandStaffOrApplicant]
    applicant_methods = ("GET", "POST")
    throttle_classes = [AnonRateThrottle, UserRateThrottle, WriteRateThrottle]
    throttle_scope = "applications"

    class InputSerializer(StrictInputSerializer):
        class ItemSerializer(StrictInputSerializer):
            product_id = serializers.IntegerField()
            level = serializers.IntegerField(min_value=1, max_value=5)

        products = ItemSerializer(many=True, allow_empty=False)
        languages = LANGUAGE_FIELD
        motivation = serializers.CharField(max_length=2000)
        accept_terms = serializers.BooleanField()

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=Application.Status.values, required=False)],
        responses=ApplicationOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        wanted = request.query_params.get("status") or None
        if wanted and wanted not in Application.Status.values:
            raise ValidationError(
                {
                    "status": [
                        gettext("Use one of: %(value1)s.")
                        % {"value1": ", ".join(Application.Status.values)}
                    ]
                }
            )
        applications = selectors.application_list(
            brand=brand_of(request), viewer=viewer_for(request), status=wanted
        )
        return paginated(self, request, applications, ApplicationOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: ApplicationOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        application = services.application_submit(
            brand=brand_of(request),
            user=signed_in_user(request),
            items=[(item["product_id"], item["level"]) for item in data["products"]],
            languages=data["languages"],
            motivation=data["motivation"],
            accept_terms=data["accept_terms"],
        )
        return Response(
            ApplicationOutputSerializer(application).data, status=status.HTTP_201_CREATED
        )


def _application(request: Request, application_id: int) -> Application:
    application = (
        selectors.application_list(brand=brand_of(request), viewer=viewer_for(request))
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound(gettext("No such application."))
    return application


class ApplicationDetailApi(APIView):
    permission_classes = [IsBrandStaffOrApplicant]
    applicant_methods = ("GET",)

    class OutputSerializer(ApplicationOutputSerializer):
        class HistorySerializer(serializers.Serializer):
            class SkillSerializer(serializers.Serializer):
                product = serializers.CharField(source="product.name")
                level = serializers.IntegerField()
                verified_level = serializers.IntegerField(allow_null=True)

            class PastApplicationSerializer(serializers.Serializer):
                id = serializers.IntegerField()
                status = serializers.CharField()
                created_at = serializers.DateTimeField()
                decision_reason = serializers.CharField()

            class AttemptSerializer(serializers.Serializer):
                quiz = serializers.CharField(source="quiz.title")
                score = serializers.IntegerField()
                passed = serializers.BooleanField()
                created_at = serializers.DateTimeField()

            class SectionSerializer(serializers.Serializer):
                title = serializers.CharField()
                lines = serializers.ListField(child=serializers.CharField())

            pool_status = serializers.CharField(source="expert.status", allow_null=True)
            skills = SkillSerializer(many=True)
            applications = PastApplicationSerializer(many=True)
            quiz_attempts = AttemptSerializer(source="attempts", many=True)
            sections = SectionSerializer(many=True)

        history = HistorySerializer(allow_null=True, help_text="Staff only.")

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, slug: str, application_id: int) -> Response:
        application = _application(request, application_id)
        history = None
        if staff_request(request):
            history = selectors.applicant_history(
                application=application, viewer=viewer_for(request)
            )
        application.history = history
        return Response(self.OutputSerializer(application).data)


class ApplicationApproveApi(APIView):
    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        status = serializers.ChoiceField(
            choices=[Expert.Status.APPROVED, Expert.Status.PROBATION],
            default=Expert.Status.APPROVED,
        )
        reason = serializers.CharField(
            max_length=2000, required=False, allow_blank=True, default=""
        )

    @extend_schema(request=InputSerializer, responses=ApplicationOutputSerializer)
    def post(self, request: Request, slug: str, application_id: int) -> Response:
        application = _application(request, application_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        application = services.application_approve(
            application=application, actor=request.user, **incoming.validated_data
        )
        return Response(ApplicationOutputSerializer(application).data)


class ApplicationRejectApi(APIView):
    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=2000, help_text="The applicant sees it.")

    @extend_schema(request=InputSerializer, responses=ApplicationOutputSerializer)
    def post(self, request: Request, slug: str, application_id: int) -> Response:
        application = _application(request, application_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        application = services.application_reject(
            application=application, actor=request.user, reason=incoming.validated_data["reason"]
        )
        return Response(ApplicationOutputSerializer(application).data)


# ---------------------------------------------------------------------------------------
# Quizzes
# ---------------------------------------------------------------------------------------


class QuizOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    product_id = serializers.IntegerField(allow_null=True)
    category_id = serializers.IntegerField(allow_null=True)
    subject = serializers.CharField()
    level = serializers.IntegerField()
    pass_mark = serializers.IntegerField()
    cooldown_hours = serializers.IntegerField()
    is_active = serializers.BooleanField()


class QuizDetailOutputSerializer(QuizOutputSerializer):
    """Questions and choices. ``is_correct`` is added for brand staff only; applicants never
    receive it (nor anything else that reveals the answers)."""

    class QuestionSerializer(serializers.Serializer):
        class ChoiceSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            text = serializers.CharField()
            is_correct = serializers.BooleanField(required=False, help_text="Staff only.")

            def to_representation(self, instance: Any) -> dict[str, Any]:
                body = {"id": instance.pk, "text": instance.text}
                if self.context.get("staff"):
                    body["is_correct"] = instance.is_correct
                return body

        id = serializers.IntegerField()
        text = serializers.CharField()
        choices = ChoiceSerializer(many=True)

    questions = QuestionSerializer(many=True)


class QuizInputSerializer(StrictInputSerializer):
    class QuestionSerializer(StrictInputSerializer):
        class ChoiceSerializer(StrictInputSerializer):
            text = serializers.CharField(max_length=300)
            is_correct = serializers.BooleanField(default=False)

        text = serializers.CharField(max_length=500)
        choices = ChoiceSerializer(many=True)

    title = serializers.CharField(max_length=160)
    product_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    category_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    level = serializers.IntegerField(min_value=1, max_value=5, default=3)
    pass_mark = serializers.IntegerField(min_value=1, max_value=100, default=80)
    cooldown_hours = serializers.IntegerField(min_value=0, max_value=720, default=24)
    questions = QuestionSerializer(many=True, allow_empty=False)


def _quiz(request: Request, quiz_id: int) -> Quiz:
    quiz = (
        selectors.quiz_list(brand=brand_of(request), viewer=viewer_for(request))
        .filter(pk=quiz_id)
        .first()
    )
    if quiz is None:
        raise NotFound(gettext("No such quiz."))
    return quiz


def _quiz_detail(quiz: Quiz, *, staff: bool) -> dict[str, Any]:
    quiz = Quiz.objects.prefetch_related("questions__choices").get(pk=quiz.pk)
    return QuizDetailOutputSerializer(quiz, context={"staff": staff}).data


class QuizListCreateApi(APIView):
    """Staff: every quiz of the brand; POST writes one. People in or applying to the pool:
    the active quizzes they may take."""

    permission_classes = [IsBrandStaffOrApplicant]
    applicant_methods = ("GET",)

    @extend_schema(responses=QuizOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        quizzes = selectors.quiz_list(brand=brand_of(request), viewer=viewer_for(request))
        return paginated(self, request, quizzes, QuizOutputSerializer)

    @extend_schema(request=QuizInputSerializer, responses={201: QuizDetailOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        incoming = QuizInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        quiz = services.quiz_create(
            brand=brand_of(request), actor=request.user, **incoming.validated_data
        )
        return Response(_quiz_detail(quiz, staff=True), status=status.HTTP_201_CREATED)


class QuizDetailApi(APIView):
    permission_classes = [IsBrandStaffOrApplicant]
    applicant_methods = ("GET",)

    class InputSerializer(StrictInputSerializer):
        is_active = serializers.BooleanField()

    @extend_schema(responses=QuizDetailOutputSerializer)
    def get(self, request: Request, slug: str, quiz_id: int) -> Response:
        return Response(_quiz_detail(_quiz(request, quiz_id), staff=staff_request(request)))

    @extend_schema(request=InputSerializer, responses=QuizDetailOutputSerializer)
    def patch(self, request: Request, slug: str, quiz_id: int) -> Response:
        quiz = _quiz(request, quiz_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        quiz = services.quiz_set_active(
            quiz=quiz, actor=request.user, is_active=incoming.validated_data["is_active"]
        )
        return Response(_quiz_detail(quiz, staff=True))


class QuizAttemptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quiz_id = serializers.IntegerField()
    person = serializers.CharField(source="user.display_name")
    score = serializers.IntegerField(help_text="Percent of correct answers.")
    passed = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    next_attempt_at = serializers.SerializerMethodField(
        help_text="When this person may try the quiz again."
    )

    def get_next_attempt_at(self, attempt: QuizAttempt) -> datetime:
        return attempt.created_at + timedelta(hours=attempt.quiz.cooldown_hours)


class QuizAttemptListCreateApi(APIView):
    """POST: take the quiz (answers are question id -> choice id). The response says only the
    score and whether it passed, never which answers were right."""

    permission_classes = [IsBrandStaffOrApplicant]
    applicant_methods = ("GET", "POST")
    throttle_classes = [AnonRateThrottle, UserRateThrottle, WriteRateThrottle]
    throttle_scope = "quiz_attempts"

    class InputSerializer(StrictInputSerializer):
        answers = serializers.DictField(
            child=serializers.IntegerField(), help_text="question id -> chosen choice id"
        )

    @extend_schema(responses=QuizAttemptOutputSerializer(many=True))
    def get(self, request: Request, slug: str, quiz_id: int) -> Response:
        quiz = _quiz(request, quiz_id)
        attempts = (
            QuizAttempt.objects.visible_to(viewer_for(request))
            .filter(quiz=quiz)
            .select_related("user", "quiz")
        )
        return paginated(self, request, attempts, QuizAttemptOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: QuizAttemptOutputSerializer})
    def post(self, request: Request, slug: str, quiz_id: int) -> Response:
        quiz = _quiz(request, quiz_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            answers = {int(k): v for k, v in incoming.validated_data["answers"].items()}
        except ValueError:
            raise ValidationError({"answers": [gettext("Keys are question ids.")]}) from None
        attempt = services.quiz_attempt_submit(
            quiz=quiz, user=signed_in_user(request), answers=answers
        )
        return Response(QuizAttemptOutputSerializer(attempt).data, status=status.HTTP_201_CREATED)
