"""Real concurrency on PostgreSQL for the copilot: two tabs asking for a draft at once get
one row; two sends of the same draft record one use."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from routing import services
from routing.models import CopilotDraft, Message, Question
from tests.races.test_accept_races import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("held_tasks"),
]


@pytest.fixture
def assigned(cast: Any, ask: Any, online: Any) -> Question:
    services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        product_id=cast.trail_shoe.pk,
        question="How do I clean the Trailblazer 2 trail shoes?",
        answer="Rinse mud off with lukewarm water and a soft brush; dry at room temperature.",
    )
    online(cast.ada)
    question = ask("How do I clean them after a muddy run?")
    offer = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    return Question.objects.get(pk=question.pk)


def test_concurrent_draft_requests_make_one_draft(
    require_postgres: None, cast: Any, assigned: Question
) -> None:
    def fetch() -> int:
        try:
            question = Question.objects.select_related("product").get(pk=assigned.pk)
            return services.copilot_for(question=question, user=cast.ada).draft.pk
        finally:
            connection.close()

    ids = run_together([fetch] * 8)

    assert len(set(ids)) == 1
    assert CopilotDraft.objects.count() == 1
    assert not Message.objects.filter(question=assigned, role="expert").exists()


def test_two_sends_of_one_draft_record_one_use(
    require_postgres: None, cast: Any, assigned: Question
) -> None:
    # given: one draft, and six replies made from it (a double click, two tabs, ...)
    draft = services.copilot_for(question=assigned, user=cast.ada).draft
    replies = [
        services.message_post(question=assigned, author=cast.ada, role="expert", body=draft.body)
        for _ in range(6)
    ]

    def claim(message: Message) -> Any:
        def job() -> tuple[int, bool]:
            try:
                row = CopilotDraft.objects.get(pk=draft.pk)
                return message.pk, services.copilot_draft_record_use(draft=row, message=message)
            finally:
                connection.close()

        return job

    # when: each claims the draft at the same instant
    results = run_together([claim(message) for message in replies])

    # then: exactly one recorded the use, and the row names that one
    winners = [message_id for message_id, won in results if won]
    assert len(winners) == 1
    draft.refresh_from_db()
    assert draft.message_id == winners[0]
    assert draft.edited is False
