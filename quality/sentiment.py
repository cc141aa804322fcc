"""Sentiment lift as SQL expressions, so it can be aggregated over many conversations.

A conversation's *sentiment lift* is how much calmer the customer ended than she started:
the frustration of her first message (scored by triage, kept in ``Question.triage``; or of
her first scored message when triage did not run) minus that of her last scored message
(-1..1, positive is better). It exists once she has written twice. This is the SQL twin of
``routing.selectors.question_sentiment_lift``; tests hold them to the same answers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, F, FloatField, OuterRef, Q, Subquery, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from routing.models import Message, Question


def lift_steps(question_ref: str = "pk") -> tuple[dict[str, Any], dict[str, Any]]:
    """Two annotation steps for a queryset whose ``question_ref`` field is a question id:
    the first adds the raw moods, the second ``start_mood``, ``end_mood`` and ``lift``."""
    scored = Message.objects.filter(
        question_id=OuterRef(question_ref),
        role=Message.Role.CUSTOMER,
        frustration__isnull=False,
    )
    triage: Any = Cast(KT("triage__frustration"), FloatField())
    if question_ref != "pk":
        # A key path through a foreign key is not a JSON path: read the question's triage
        # in a subquery instead.
        triage = Subquery(
            Question.objects.filter(pk=OuterRef(question_ref))
            .annotate(mood=triage)
            .values("mood")[:1],
            output_field=FloatField(),
        )
    first = {
        "mood_triage": triage,
        "mood_first": Subquery(scored.order_by("created_at", "pk").values("frustration")[:1]),
        "mood_first_pk": Subquery(scored.order_by("created_at", "pk").values("pk")[:1]),
        "mood_last": Subquery(scored.order_by("-created_at", "-pk").values("frustration")[:1]),
        "mood_last_pk": Subquery(scored.order_by("-created_at", "-pk").values("pk")[:1]),
    }
    from_triage = Q(mood_triage__isnull=False, mood_last__isnull=False)
    from_messages = Q(mood_triage__isnull=True, mood_last__isnull=False) & ~Q(
        mood_first_pk=F("mood_last_pk")
    )
    second = {
        "start_mood": Case(
            When(from_triage, then=F("mood_triage")),
            When(from_messages, then=F("mood_first")),
            output_field=FloatField(),
        ),
        "end_mood": Case(
            When(from_triage | from_messages, then=F("mood_last")), output_field=FloatField()
        ),
        "lift": Case(
            When(from_triage, then=F("mood_triage") - F("mood_last")),
            When(from_messages, then=F("mood_first") - F("mood_last")),
            output_field=FloatField(),
        ),
    }
    return first, second
