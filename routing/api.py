"""Routing API: asking, the conversation, presence and offers."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.idempotency import IDEMPOTENCY_KEY, idempotent
from gigcx.pagination import paginated
from gigcx.permissions import IsExpert, IsPerson
from gigcx.serializers import StrictInputSerializer
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from gigcx.throttling import ScopedRateThrottle
from gigcx.web import parse_id
from marketplace.models import Brand
from marketplace.permissions import IsBrandStaff, PublicReadBrandStaffWrite
from routing import selectors, services
from routing.models import (
    Assignment,
    KnowledgeEntry,
    Message,
    Presence,
    Question,
    RoutingSettings,
)
from routing.system_texts import escalation_reason_text, system_text

TOKEN_HEADER = "X-Question-Token"  # noqa: S105 - a header name, not a secret


class IsAuthenticatedOrQuestionToken(IsAuthenticated):
    """Signed in, or an anonymous asker holding a question's private-link token. Which
    question the caller may see is then decided by question_for()."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.headers.get(TOKEN_HEADER)) or super().has_permission(request, view)


class AskOrStaffRead(IsBrandStaff):
    """Anyone (signed in or not) may ask an active brand a question; staff read the queue."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return super().has_permission(request, view)
        brand = Brand.objects.filter(slug=view.kwargs["slug"], is_active=True).first()
        if brand is None:
            raise NotFound(_("No such brand."))
        request.brand = brand  # type: ignore[attr-defined]
        return True


class EscalationReasonField(serializers.CharField):
    """Why the question went to the brand's team, in the caller's language (stored in
    English; an expert's own words stay as typed)."""

    def to_representation(self, value: Any) -> str:
        return escalation_reason_text(super().to_representation(value))


class QuestionOutputSerializer(serializers.Serializer):
    class ExpertSerializer(serializers.Serializer):
        display_name = serializers.CharField()
        verified_product = serializers.BooleanField()

    id = serializers.IntegerField()
    brand = serializers.CharField(source="brand.slug")
    product_id = serializers.IntegerField(allow_null=True)
    product = serializers.CharField(source="product.name", allow_null=True, default=None)
    body = serializers.SerializerMethodField()
    status = serializers.CharField()
    preference = serializers.CharField()
    tone_analysis = serializers.BooleanField(
        help_text="False when the customer opted out of tone analysis: no frustration score "
        "is computed or stored for this question."
    )
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    expert = serializers.SerializerMethodField()
    mood_rising = serializers.SerializerMethodField(
        help_text="Experts and staff only (null for the customer): the customer's newest "
        "message reads sharply more upset and is not answered yet."
    )

    def get_mood_rising(self, question: Question) -> bool | None:
        if self.context.get("role") not in (Message.Role.EXPERT, Message.Role.STAFF):
            return None
        if question.status == Question.Status.RESOLVED:
            return False  # nobody is answering any more: no banner, and no query
        return selectors.question_mood_rising(question)

    def get_body(self, question: Question) -> str:
        # Experts see the redacted copy; the customer and staff see what was written.
        if self.context.get("role") == Message.Role.EXPERT:
            return question.expert_text
        return question.body

    @extend_schema_field(ExpertSerializer(allow_null=True))
    def get_expert(self, question: Question) -> dict[str, Any] | None:
        if question.status == Question.Status.NEW:
            return None  # not triaged yet, so nobody has accepted it: no query (intake)
        assignment = (
            Assignment.objects.filter(question=question, status=Assignment.Status.ACCEPTED)
            .select_related("expert__user__expert_profile")
            .first()
        )
        if assignment is None:
            return None
        verified = assignment.expert.skills.filter(
            product_id=question.product_id, verified_at__isnull=False
        ).exists()
        return {"display_name": assignment.expert.display_name, "verified_product": verified}


def staff_may_write(request: Request, question: Question, role: str) -> None:
    """Quality reviewers read conversations; changing them (messages, resolving, which books
    an earning) takes an owner or manager."""
    if role == Message.Role.STAFF and not viewer_for(request).is_staff_of(
        question.brand_id, EDITOR_ROLES
    ):
        raise PermissionDenied(_("Quality reviewers can read this conversation but not change it."))


def question_for(request: Request, question_id: int) -> tuple[Question, str]:
    """The question and the caller's role in it. Anyone else gets 404, as if it did not exist.

    Anonymous askers prove access with the private-link token (header X-Question-Token).
    """
    found = selectors.question_with_role(
        viewer=viewer_for(request),
        question_id=question_id,
        token=request.headers.get(TOKEN_HEADER) or "",
    )
    if found is None:
        raise NotFound(_("No such question."))
    return found


class QuestionCreateApi(APIView):
    permission_classes = [AskOrStaffRead]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "questions"
    customer_write_methods = ("post",)  # tenancy matrix: anyone may ask any active brand

    class InputSerializer(StrictInputSerializer):
        body = serializers.CharField(max_length=4000)
        product_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        preference = serializers.ChoiceField(
            choices=Question.Preference.choices, default=Question.Preference.AUTO
        )
        preferred_expert_id = serializers.IntegerField(
            required=False, allow_null=True, default=None
        )
        contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
        tone_analysis = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="false opts out of tone analysis: no frustration or urgency score is "
            "computed or stored for this question's messages, and routing uses its defaults. "
            "Left out: a signed-in customer's last choice (yes for anonymous askers). A "
            "signed-in customer's choice is remembered for her next question.",
        )

    class CreatedSerializer(QuestionOutputSerializer):
        access_token = serializers.CharField(
            allow_null=True,
            help_text=f"Anonymous askers only: send it as {TOKEN_HEADER}. Shown once.",
        )

    class QueueSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()
        product = serializers.CharField(source="product.name", allow_null=True, default=None)
        priority = serializers.IntegerField()
        frustration = serializers.FloatField(allow_null=True)
        routing_step = serializers.IntegerField()
        attempts = serializers.IntegerField()
        escalation_reason = EscalationReasonField(
            help_text="Why it went to the brand's team, in the caller's language; blank if "
            "it did not."
        )
        created_at = serializers.DateTimeField()

    @extend_schema(
        responses=QueueSerializer(many=True), description="The brand's open questions (staff)."
    )
    def get(self, request: Request, slug: str) -> Response:
        return paginated(
            self, request, selectors.brand_queue(brand_id=request.brand.pk), self.QueueSerializer
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: CreatedSerializer},
        parameters=[IDEMPOTENCY_KEY],
        description="Ask a question. A retry with the same Idempotency-Key returns the first "
        "answer (same status and body) and never creates a second question; the same key with "
        "another body is 409.",
    )
    @idempotent(secrets=("access_token",))
    def post(self, request: Request, slug: str) -> Response:
        if getattr(request.user, "api_key_id", None) is not None:
            raise PermissionDenied(
                _(
                    "API keys cannot ask questions: customers ask as themselves, or anonymously "
                    "with an email."
                )
            )
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        question, token = services.question_create(
            brand=request.brand,
            asked_by=request.user if request.user.is_authenticated else None,
            **incoming.validated_data,
        )
        body = dict(QuestionOutputSerializer(question).data, access_token=token)
        return Response(body, status=status.HTTP_201_CREATED)


QUESTION_TOKEN = OpenApiParameter(
    TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Private-link token of an anonymous asker.",
)


class QuestionDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrQuestionToken]

    @extend_schema(parameters=[QUESTION_TOKEN], responses=QuestionOutputSerializer)
    def get(self, request: Request, question_id: int) -> Response:
        question, role = question_for(request, question_id)
        return Response(QuestionOutputSerializer(question, context={"role": role}).data)


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("role") == "system":  # GigCX's own sentences: in the caller's language
            data["body"] = system_text(data["body"])
        return data


class QuestionMessagesApi(APIView):
    permission_classes = [IsAuthenticatedOrQuestionToken]

    class InputSerializer(StrictInputSerializer):
        body = serializers.CharField(max_length=4000)
        draft_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            help_text="The assigned expert's reply came from this copilot draft "
            "(GET .../copilot): recorded as used, and whether she edited it.",
        )

    @extend_schema(parameters=[QUESTION_TOKEN], responses=MessageOutputSerializer(many=True))
    def get(self, request: Request, question_id: int) -> Response:
        question, role = question_for(request, question_id)
        after = request.query_params.get("after")
        messages = question.messages.all()
        if after:
            after_id = parse_id(after)
            if after_id is None:
                raise serializers.ValidationError({"after": [_("Use a message id.")]})
            messages = messages.filter(pk__gt=after_id)
        rows = [
            {
                "id": m.pk,
                "role": m.role,
                "created_at": m.created_at,
                "body": m.expert_text if role == Message.Role.EXPERT else m.body,
            }
            for m in messages[:500]
        ]
        return Response(MessageOutputSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[QUESTION_TOKEN, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: MessageOutputSerializer},
    )
    @idempotent()
    def post(self, request: Request, question_id: int) -> Response:
        question, role = question_for(request, question_id)
        staff_may_write(request, question, role)
        if role == Message.Role.EXPERT:
            # Being offered a question is not being its expert: only the assigned one writes.
            role = services.participant_role(
                question=question, user=request.user, viewer_staff_brand_ids=[]
            )
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        message = services.message_post(
            question=question,
            author=request.user,
            role=role,
            body=incoming.validated_data["body"],
            copilot_draft_id=incoming.validated_data["draft_id"],
        )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


class CopilotSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Knowledge entry id, or the past question's id.")
    title = serializers.CharField()
    text = serializers.CharField()
    score = serializers.FloatField(help_text="Similarity to this question, 0..1.")
    used = serializers.BooleanField(help_text="Part of the draft.")
    url = serializers.CharField(allow_blank=True)


class QuestionCopilotApi(APIView):
    """For the assigned expert only: the brand's best knowledge entries for this question
    (top 3 with their score), her own closest past answer and a draft reply made from them.
    The draft is never sent by itself: send it (edited or not) as a message with its
    ``draft_id``. Customers, staff and other experts get 403; anyone who cannot see the
    question, 404."""

    permission_classes = [IsPerson]

    class OutputSerializer(serializers.Serializer):
        draft_id = serializers.IntegerField(allow_null=True, source="draft.pk", default=None)
        draft = serializers.CharField(allow_null=True, source="draft.body", default=None)
        backend = serializers.CharField()
        entries = CopilotSourceSerializer(many=True)
        past_answers = CopilotSourceSerializer(many=True, source="past")

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, question_id: int) -> Response:
        question, _role = question_for(request, question_id)
        copilot = services.copilot_for(question=question, user=request.user)
        return Response(self.OutputSerializer(copilot).data)


class QuestionHumanApi(APIView):
    permission_classes = [IsAuthenticatedOrQuestionToken]

    @extend_schema(parameters=[QUESTION_TOKEN], request=None, responses=QuestionOutputSerializer)
    def post(self, request: Request, question_id: int) -> Response:
        question, role = question_for(request, question_id)
        if role != Message.Role.CUSTOMER:
            raise NotFound(_("No such question."))
        question = services.question_request_human(question=question)
        return Response(QuestionOutputSerializer(question, context={"role": role}).data)


class QuestionFeedbackApi(APIView):
    """The customer's "Did that help?" on the automated answer."""

    permission_classes = [IsAuthenticatedOrQuestionToken]

    class InputSerializer(StrictInputSerializer):
        helped = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer):
        outcome = serializers.CharField()
        entry_id = serializers.IntegerField(allow_null=True)

    @extend_schema(parameters=[QUESTION_TOKEN], request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, question_id: int) -> Response:
        question, role = question_for(request, question_id)
        if role != Message.Role.CUSTOMER:
            raise NotFound(_("No such question."))
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        answer = services.auto_answer_feedback(
            question=question, helped=incoming.validated_data["helped"]
        )
        return Response(self.OutputSerializer(answer).data)


class QuestionResolveApi(APIView):
    permission_classes = [IsAuthenticatedOrQuestionToken]

    @extend_schema(parameters=[QUESTION_TOKEN], request=None, responses=QuestionOutputSerializer)
    def post(self, request: Request, question_id: int) -> Response:
        question, role = question_for(request, question_id)
        staff_may_write(request, question, role)
        if role == Message.Role.EXPERT:
            services.participant_role(
                question=question, user=request.user, viewer_staff_brand_ids=[]
            )
        question = services.question_resolve(question_id=question.pk, actor=request.user)
        return Response(QuestionOutputSerializer(question, context={"role": role}).data)


class QuestionEscalateApi(APIView):
    permission_classes = [IsPerson]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=500)

    @extend_schema(request=InputSerializer, responses=QuestionOutputSerializer)
    def post(self, request: Request, question_id: int) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        question = services.assignment_escalate(
            question_id=question_id, user=request.user, reason=incoming.validated_data["reason"]
        )
        return Response(QuestionOutputSerializer(question, context={"role": "expert"}).data)


class QuestionReleaseApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(
        request=None,
        responses=QuestionOutputSerializer,
        description="Hand the question back to the queue.",
    )
    def post(self, request: Request, question_id: int) -> Response:
        question = services.assignment_release(question_id=question_id, user=request.user)
        return Response(QuestionOutputSerializer(question, context={"role": "expert"}).data)


class PresenceOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    status_reason = serializers.CharField()
    capacity = serializers.IntegerField()
    active = serializers.IntegerField()
    last_heartbeat_at = serializers.DateTimeField(allow_null=True)
    window_ends_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Online on her schedule: offers stop at this instant (her window's end). "
        "Null while online means online by hand.",
    )
    online_by_hand = serializers.BooleanField(
        help_text="Went online outside her availability windows (or has none): stays online "
        "until she goes away or offline or her heartbeat lapses."
    )


class ExpertPresenceApi(APIView):
    permission_classes = [IsExpert]

    class InputSerializer(StrictInputSerializer):
        status = serializers.ChoiceField(choices=Presence.Status.choices)

    @extend_schema(responses=PresenceOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(PresenceOutputSerializer(services.presence_for(request.user)).data)

    @extend_schema(request=InputSerializer, responses=PresenceOutputSerializer)
    def post(self, request: Request) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        presence = services.presence_set(
            user=request.user, status=incoming.validated_data["status"]
        )
        return Response(PresenceOutputSerializer(presence).data)


class ExpertHeartbeatApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(request=None, responses=PresenceOutputSerializer)
    def post(self, request: Request) -> Response:
        return Response(
            PresenceOutputSerializer(services.presence_heartbeat(user=request.user)).data
        )


class OfferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    brand = serializers.CharField(source="question.brand.name")
    product = serializers.CharField(source="question.product.name", allow_null=True, default=None)
    body = serializers.CharField(source="question.expert_text")
    frustration = serializers.FloatField(source="question.frustration", allow_null=True)
    waiting_since = serializers.DateTimeField(source="question.waiting_since", allow_null=True)
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    seconds_left = serializers.IntegerField()
    score = serializers.FloatField()
    breakdown = serializers.DictField()


class ExpertOffersApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        responses=OfferOutputSerializer(many=True),
        description="Your live offers, soonest deadline first.",
    )
    def get(self, request: Request) -> Response:
        offers = selectors.expert_offers(user_id=request.user.pk)
        return Response(OfferOutputSerializer(offers, many=True).data)


class ExpertAssignmentsApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        responses=OfferOutputSerializer(many=True), description="Questions you are answering now."
    )
    def get(self, request: Request) -> Response:
        assignments = selectors.expert_active_assignments(user_id=request.user.pk)
        return Response(OfferOutputSerializer(assignments, many=True).data)


class OfferAcceptApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: OfferOutputSerializer})
    def post(self, request: Request, offer_id: int) -> Response:
        assignment = services.assignment_accept(assignment_id=offer_id, user=request.user)
        return Response(OfferOutputSerializer(assignment).data)


class OfferDeclineApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: OfferOutputSerializer})
    def post(self, request: Request, offer_id: int) -> Response:
        assignment = services.assignment_decline(assignment_id=offer_id, user=request.user)
        return Response(OfferOutputSerializer(assignment).data)


class KnowledgeRecordSerializer(serializers.Serializer):
    shown = serializers.IntegerField(source="shown_count")
    helped = serializers.IntegerField(source="helped_count")
    not_helped = serializers.IntegerField(source="not_helped_count")
    handed_over = serializers.IntegerField(source="handed_over_count")
    reliability = serializers.FloatField()
    is_failing = serializers.BooleanField()


class KnowledgeListCreateApi(APIView):
    permission_classes = [PublicReadBrandStaffWrite]

    class InputSerializer(StrictInputSerializer):
        question = serializers.CharField(max_length=300)
        phrasings = serializers.ListField(
            child=serializers.CharField(max_length=300, allow_blank=True),
            required=False,
            default=list,
            help_text="Other ways customers ask the question; the AI line matches them too.",
        )
        answer = serializers.CharField(max_length=4000)
        product_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        source = serializers.ChoiceField(choices=KnowledgeEntry.Source.choices, default="faq")
        is_published = serializers.BooleanField(default=True)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        question = serializers.CharField()
        phrasings = serializers.ListField(child=serializers.CharField())
        answer = serializers.CharField()
        product_id = serializers.IntegerField(allow_null=True)
        source = serializers.CharField()
        is_published = serializers.BooleanField()
        status = serializers.CharField(
            help_text="published, draft or archived. Staff see all three; others published."
        )
        record = serializers.SerializerMethodField()

        @extend_schema_field(KnowledgeRecordSerializer(allow_null=True))
        def get_record(self, entry: KnowledgeEntry) -> dict[str, Any] | None:
            # The record is for the brand's staff; customers reading the FAQ see none.
            if not self.context.get("staff"):
                return None
            return KnowledgeRecordSerializer(entry).data

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        viewer = viewer_for(request)
        entries = KnowledgeEntry.objects.visible_to(viewer).filter(brand=request.brand)
        staff = viewer.is_site_admin or request.brand.pk in viewer.staff_brand_ids()
        output = partial(self.OutputSerializer, context={"staff": staff})
        return paginated(self, request, entries, output)  # type: ignore[arg-type]

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        entry = services.knowledge_entry_create(
            brand=request.brand, actor=request.user, **incoming.validated_data
        )
        return Response(self.OutputSerializer(entry).data, status=status.HTTP_201_CREATED)


class RoutingSettingsApi(APIView):
    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        offer_timeout_seconds = serializers.IntegerField(required=False)
        mode = serializers.ChoiceField(choices=RoutingSettings.Mode.choices, required=False)
        broadcast_size = serializers.IntegerField(required=False)
        step_waits = serializers.ListField(child=serializers.IntegerField(), required=False)
        max_attempts = serializers.IntegerField(required=False)
        sla_minutes = serializers.IntegerField(required=False)
        fairness_cap_per_hour = serializers.IntegerField(required=False)
        missed_offers_before_away = serializers.IntegerField(required=False)
        staff_alert_frustration = serializers.FloatField(required=False)
        weights = serializers.DictField(child=serializers.FloatField(), required=False)

    class OutputSerializer(serializers.Serializer):
        offer_timeout_seconds = serializers.IntegerField()
        mode = serializers.CharField()
        broadcast_size = serializers.IntegerField()
        step_waits = serializers.ListField(child=serializers.IntegerField(), source="waits")
        max_attempts = serializers.IntegerField()
        sla_minutes = serializers.IntegerField()
        fairness_cap_per_hour = serializers.IntegerField()
        missed_offers_before_away = serializers.IntegerField()
        staff_alert_frustration = serializers.FloatField()
        weights = serializers.SerializerMethodField()

        def get_weights(self, settings: RoutingSettings) -> dict[str, float]:
            from routing.scoring import merged_weights

            return merged_weights(settings.weights)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(
            self.OutputSerializer(selectors.routing_settings_for(request.brand.pk)).data
        )

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        settings = services.routing_settings_update(
            brand=request.brand, actor=request.user, **incoming.validated_data
        )
        return Response(self.OutputSerializer(settings).data)


class AnswerCalibrationOutputSerializer(serializers.Serializer):
    backend = serializers.CharField()
    threshold = serializers.FloatField(help_text="The threshold in force for the backend.")
    default_threshold = serializers.FloatField()
    calibrated = serializers.BooleanField(
        help_text="False while fewer outcomes than min_outcomes exist: the default applies."
    )
    outcomes = serializers.IntegerField()
    min_outcomes = serializers.IntegerField()
    precision = serializers.FloatField(allow_null=True)
    target_precision = serializers.FloatField()


class AnswerCalibrationApi(APIView):
    """The brand's auto-answer threshold, calibrated from outcomes towards its target."""

    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        target_precision = serializers.FloatField()

    @extend_schema(responses=AnswerCalibrationOutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        summary = services.knowledge.answer_calibration_summary(brand_id=request.brand.pk)
        return Response(AnswerCalibrationOutputSerializer(summary).data)

    @extend_schema(request=InputSerializer, responses=AnswerCalibrationOutputSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.answer_target_set(
            brand=request.brand,
            actor=request.user,
            target_precision=incoming.validated_data["target_precision"],
        )
        summary = services.knowledge.answer_calibration_summary(brand_id=request.brand.pk)
        return Response(AnswerCalibrationOutputSerializer(summary).data)
