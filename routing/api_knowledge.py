"""Knowledge-base API for a brand's staff: one entry with its record, edit, publish
(approve a draft), unpublish, archive, restore; the gaps; and a resolved conversation made
into a draft entry. The list and create are ``KnowledgeListCreateApi`` in ``api.py``."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gigcx.serializers import StrictInputSerializer
from gigcx.tenancy import viewer_for
from marketplace.permissions import IsBrandStaff
from routing import services
from routing.api import KnowledgeRecordSerializer
from routing.knowledge_gaps import knowledge_gaps
from routing.models import KnowledgeEntry


class KnowledgeEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    phrasings = serializers.ListField(
        child=serializers.CharField(), help_text="Other ways customers ask the question."
    )
    answer = serializers.CharField()
    product_id = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    status = serializers.CharField(help_text="published, draft or archived.")
    is_published = serializers.BooleanField()
    archived_at = serializers.DateTimeField(allow_null=True)
    expert_id = serializers.IntegerField(allow_null=True, help_text="The expert credited.")
    source_question_id = serializers.IntegerField(
        allow_null=True, help_text="The conversation the entry was made from."
    )
    help_rate = serializers.FloatField(allow_null=True)
    record = KnowledgeRecordSerializer(source="*")
    created_at = serializers.DateTimeField()


def _entry(request: Request, entry_id: int) -> KnowledgeEntry:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        KnowledgeEntry.objects.visible_to(viewer_for(request)).filter(brand=request.brand),  # type: ignore[attr-defined]
        pk=entry_id,
    )


class KnowledgeDetailApi(APIView):
    """One entry with its record (any staff); owners and managers edit it."""

    permission_classes = [IsBrandStaff]

    class InputSerializer(StrictInputSerializer):
        question = serializers.CharField(max_length=300, required=False)
        phrasings = serializers.ListField(
            child=serializers.CharField(max_length=300, allow_blank=True),
            required=False,
            help_text="Other ways customers ask the question; replaces the stored list.",
        )
        answer = serializers.CharField(max_length=4000, required=False)
        product_id = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(responses=KnowledgeEntrySerializer)
    def get(self, request: Request, slug: str, entry_id: int) -> Response:
        return Response(KnowledgeEntrySerializer(_entry(request, entry_id)).data)

    @extend_schema(request=InputSerializer, responses=KnowledgeEntrySerializer)
    def patch(self, request: Request, slug: str, entry_id: int) -> Response:
        entry = _entry(request, entry_id)
        incoming = self.InputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        entry = services.knowledge_entry_update(
            entry=entry,
            actor=request.user,
            question=data.get("question", entry.question),
            answer=data.get("answer", entry.answer),
            product_id=data.get("product_id", entry.product_id),
            phrasings=data.get("phrasings"),
        )
        return Response(KnowledgeEntrySerializer(entry).data)


class _KnowledgeStatusApi(APIView):
    permission_classes = [IsBrandStaff]
    service: Callable[..., KnowledgeEntry]

    @extend_schema(request=None, responses=KnowledgeEntrySerializer)
    def post(self, request: Request, slug: str, entry_id: int) -> Response:
        entry = type(self).service(entry=_entry(request, entry_id), actor=request.user)
        return Response(KnowledgeEntrySerializer(entry).data)


class KnowledgePublishApi(_KnowledgeStatusApi):
    """Publish (approve a draft): the AI line may quote it from the next question."""

    service = services.knowledge_entry_publish


class KnowledgeUnpublishApi(_KnowledgeStatusApi):
    """Back to draft: no longer quoted."""

    service = services.knowledge_entry_unpublish


class KnowledgeArchiveApi(_KnowledgeStatusApi):
    """Archive: out of the index and the public FAQ; the record is kept."""

    service = services.knowledge_entry_archive


class KnowledgeRestoreApi(_KnowledgeStatusApi):
    """Restore an archived entry as a draft."""

    service = services.knowledge_entry_restore


class KnowledgeGapsApi(APIView):
    """Recent questions with no good entry, grouped by what they ask, biggest group first,
    each with the best expert answer to start an entry from."""

    permission_classes = [IsBrandStaff]

    class OutputSerializer(serializers.Serializer):
        class QuestionSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            text = serializers.CharField(source="expert_text", help_text="Redacted.")
            product_id = serializers.IntegerField(allow_null=True)
            status = serializers.CharField()
            created_at = serializers.DateTimeField()

        size = serializers.IntegerField()
        products = serializers.ListField(child=serializers.CharField())
        examples = QuestionSerializer(many=True)
        best_question_id = serializers.IntegerField(source="best.pk", default=None, allow_null=True)
        best_answer = serializers.CharField(help_text="Redacted; empty when none resolved it.")
        best_expert = serializers.CharField()
        best_rating = serializers.IntegerField(allow_null=True)
        draft_entry_id = serializers.IntegerField(source="draft.pk", default=None, allow_null=True)

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        from quality.selectors import rating_scores

        gaps = knowledge_gaps(brand_id=request.brand.pk, ratings=rating_scores)  # type: ignore[attr-defined]
        return Response(self.OutputSerializer(gaps[:50], many=True).data)


class QuestionKnowledgeDraftApi(APIView):
    """Make a resolved conversation a draft entry (the customer's question and the expert's
    answer, redacted, crediting the expert): the brand's owners and managers, or the expert
    who resolved it. Returns the entry it already made when asked again."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: KnowledgeEntrySerializer})
    def post(self, request: Request, question_id: int) -> Response:
        question = services.knowledge_draft_access(
            viewer=viewer_for(request), question_id=question_id
        )
        entry = services.knowledge_entry_draft_from_question(question=question, actor=request.user)
        return Response(KnowledgeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
