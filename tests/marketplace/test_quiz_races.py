"""Racing submissions on PostgreSQL: the cool-down and a single decision hold under load."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from gigcx.exceptions import ApplicationError
from marketplace import services
from marketplace.models import Application, QuizAttempt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(count: int, work: Callable[[], Any]) -> list[Any]:
    """Start ``count`` threads at the same instant; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: Any = work()
        except ApplicationError as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_racing_quiz_attempts_record_exactly_one(cast: Any, require_postgres: None) -> None:
    quiz = services.quiz_create(
        brand=cast.acme,
        title="Shoe basics",
        product_id=cast.trail_shoe.pk,
        questions=[
            {"text": "Drop?", "choices": [{"text": "8 mm", "is_correct": True}, {"text": "4"}]}
        ],
        actor=cast.sam,
    )
    question = quiz.questions.get()
    answer = {question.pk: question.choices.get(is_correct=True).pk}

    results = run_concurrently(
        5, lambda: services.quiz_attempt_submit(quiz=quiz, user=cast.ada, answers=answer)
    )

    assert sum(isinstance(r, QuizAttempt) for r in results) == 1
    assert sorted(r.status_code for r in results if isinstance(r, ApplicationError)) == [409] * 4
    assert QuizAttempt.objects.filter(user=cast.ada).count() == 1


def test_racing_decisions_on_one_application_leave_exactly_one(
    cast: Any, require_postgres: None
) -> None:
    application = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 3)],
        languages=["en"],
        motivation="Yes.",
        accept_terms=True,
    )
    turns = iter(range(100))
    lock = threading.Lock()

    def decide() -> Application:
        with lock:
            turn = next(turns)
        if turn % 2:
            return services.application_reject(
                application=application, actor=cast.sam, reason="No."
            )
        return services.application_approve(application=application, actor=cast.maya)

    results = run_concurrently(4, decide)

    assert sum(isinstance(r, Application) for r in results) == 1
    assert all(r.status_code == 409 for r in results if isinstance(r, ApplicationError))
    application.refresh_from_db()
    assert application.status in ("approved", "rejected")
