"""Real concurrency on PostgreSQL for the intake quotas: askers racing for the last places of
a brand's hourly quota never get more questions in than it allows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from gigcx.exceptions import QuotaExceededError
from marketplace.models import Brand
from routing import services
from routing.models import Question
from tests.races.test_accept_races import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("held_tasks"),
]


def test_racing_anonymous_askers_never_overshoot_the_hourly_quota(
    require_postgres: None, cast: Any
) -> None:
    # given: a quota of 5 an hour, of which 3 are used
    Brand.objects.filter(pk=cast.acme.pk).update(anonymous_questions_per_hour=5)
    for n in range(3):
        services.question_create(
            brand=cast.acme, body=f"Earlier question {n} here?", contact_email=f"e{n}@example.com"
        )

    def ask(n: int) -> Any:
        def job() -> str:
            try:
                brand = Brand.objects.get(pk=cast.acme.pk)
                services.question_create(
                    brand=brand,
                    body=f"Racing question {n} here?",
                    contact_email=f"r{n}@example.com",
                )
                return "asked"
            except QuotaExceededError:
                return "refused"
            finally:
                connection.close()

        return job

    # when: eight visitors ask at the same instant
    results = run_together([ask(n) for n in range(8)])

    # then: exactly the two free places were taken, and the rest were told to wait
    assert sorted(results) == ["asked"] * 2 + ["refused"] * 6
    assert Question.objects.filter(brand=cast.acme, asked_by__isnull=True).count() == 5
