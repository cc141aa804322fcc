"""Quality fixtures: questions that went through routing to an expert and were resolved."""

from __future__ import annotations

from typing import Any

import pytest

from routing import services as routing
from routing.models import Assignment, Question


def resolve_through_routing(cast: Any, ask: Any, user: Any, **kwargs: Any) -> Question:
    """A question goes through routing to ``user`` (the only expert online), who accepts,
    answers and resolves it."""
    for person in (cast.ada, cast.grace):
        routing.presence_set(user=person, status="online" if person == user else "offline")
    question = ask(**kwargs)
    # (in a transactional test triage already routed it after commit; this is then a no-op)
    routing.routing_offer_question(question_id=question.pk)
    offer = Assignment.objects.get(question=question, status="offered")
    assert offer.expert.user == user
    routing.assignment_accept(assignment_id=offer.pk, user=user)
    routing.message_post(question=question, author=user, role="expert", body="Go half a size up.")
    routing.question_resolve(question_id=question.pk, actor=user)
    question.refresh_from_db()
    return question


UPSET = "This is USELESS!!! Nothing works and nobody helps me. Third time I ask!"
CALM = "Thanks, that fixed it."


def converse_through_routing(
    cast: Any, ask: Any, user: Any, customer_lines: list[str], **kwargs: Any
) -> Question:
    """Like resolve_through_routing, but the customer writes ``customer_lines`` (each scored
    for frustration) during the conversation, each answered by the expert."""
    for person in (cast.ada, cast.grace):
        routing.presence_set(user=person, status="online" if person == user else "offline")
    question = ask(**kwargs)
    routing.routing_offer_question(question_id=question.pk)
    offer = Assignment.objects.get(question=question, status="offered")
    assert offer.expert.user == user
    routing.assignment_accept(assignment_id=offer.pk, user=user)
    question.refresh_from_db()
    for line in customer_lines:
        routing.message_post(
            question=question, author=question.asked_by, role="customer", body=line
        )
        routing.message_post(question=question, author=user, role="expert", body="I hear you.")
    routing.question_resolve(question_id=question.pk, actor=user)
    question.refresh_from_db()
    return question


@pytest.fixture
def conversed(cast: Any, ask: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """``conversed(user, [customer lines], **ask_kwargs)``: see converse_through_routing."""

    def run(user: Any, lines: list[str], **kwargs: Any) -> Question:
        with django_capture_on_commit_callbacks(execute=True):
            return converse_through_routing(cast, ask, user, lines, **kwargs)

    return run


@pytest.fixture
def resolved(cast: Any, ask: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """``resolved(user, **ask_kwargs)``: see resolve_through_routing; the outbox delivers
    ``question.resolved`` after commit."""

    def run(user: Any = None, **kwargs: Any) -> Question:
        with django_capture_on_commit_callbacks(execute=True):
            return resolve_through_routing(cast, ask, user or cast.ada, **kwargs)

    return run


@pytest.fixture
def rate(api_as: Any, cast: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """``rate(question, score, solved=True, user=carol)``: POST the rating through the API and
    deliver what it recorded after commit (the outbox event)."""

    def run(question: Question, score: Any, solved: bool = True, user: Any = None, **extra: Any):
        client = api_as(user or cast.carol)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/api/v1/questions/{question.pk}/rating",
                {"score": score, "solved": solved, **extra},
                format="json",
            )

    return run
