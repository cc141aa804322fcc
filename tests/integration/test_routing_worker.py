"""Routing against a real Celery worker (and beat's sweeper), Redis and PostgreSQL.

Eager mode hides ordering and redelivery problems; here the web side commits and publishes
to Redis, and worker processes do the routing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from routing import services
from routing.models import Assignment, Presence, Question, RoutingSettings
from tests.integration.conftest import start_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_and_beat(require_postgres: None, require_redis: str) -> Iterator[dict[str, Any]]:
    processes = {
        "worker": start_worker(require_redis),
        "beat": start_worker(require_redis, beat=True),
    }
    yield processes
    for process in processes.values():
        with_timeout_stop(process)


def with_timeout_stop(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def offered(question: Question) -> list[Assignment]:
    return list(
        Assignment.objects.filter(question=question, status="offered").select_related(
            "expert__user"
        )
    )


def test_ask_offer_decline_expire_accept_resolve_with_a_real_worker(
    worker_and_beat: dict[str, Any],
    real_broker: None,
    cast: Any,
    ask: Any,
    online: Any,
    grace_knows_the_shoe: None,
) -> None:
    # given: two experts online; offers time out after 3 s
    RoutingSettings.objects.update_or_create(brand=cast.acme, defaults={"offer_timeout_seconds": 3})
    online(cast.ada, cast.grace)

    # when a question is sent to experts, the worker offers it to the best one (ada)
    question = ask()
    assert wait_for(lambda: offered(question)), "the worker did not route the question"
    first = offered(question)[0]
    assert first.expert.user == cast.ada

    # ada declines: the worker re-routes to grace, never back to ada
    services.assignment_decline(assignment_id=first.pk, user=cast.ada)
    assert wait_for(lambda: offered(question) and offered(question)[0].expert.user == cast.grace)
    second = offered(question)[0]

    # grace lets it expire: beat's sweeper expires it; nobody new is left, so grace (who only
    # missed it) gets a second turn rather than the question going to staff
    assert wait_for(lambda: Assignment.objects.get(pk=second.pk).status == "expired", timeout=30)
    assert Presence.objects.get(user=cast.grace).missed_offers == 1
    assert wait_for(lambda: [a.pk for a in offered(question)] not in ([], [second.pk]))
    again = offered(question)[0]
    assert again.expert.user == cast.grace

    # this time she declines: now nobody is left (ada and grace both declined), it waits;
    # widening by time brings a third expert going online the question at the next sweep
    services.assignment_decline(assignment_id=again.pk, user=cast.grace)
    Question.objects.filter(pk=question.pk).update(
        waiting_since=timezone.now() - timedelta(seconds=95)
    )
    from gigcx.accounts import user_create
    from marketplace import services as marketplace

    linus = user_create(email="linus@example.com", password="linus-pass-123", verified=True)
    marketplace.expert_profile_upsert(user=linus, display_name="Linus Berg", languages=["en"])
    marketplace.expert_enrol(brand=cast.acme, user=linus, status="approved", actor=cast.sam)
    services.presence_set(user=linus, status="online")
    assert wait_for(
        lambda: offered(question) and offered(question)[0].expert.user == linus, timeout=30
    )

    # linus accepts, they talk, the customer resolves
    offer = offered(question)[0]
    services.assignment_accept(assignment_id=offer.pk, user=linus)
    question.refresh_from_db()
    services.message_post(question=question, author=linus, role="expert", body="Go half a size up.")
    services.question_resolve(question_id=question.pk, actor=cast.carol)
    assert Presence.objects.get(user=linus).active == 0
    # four offers to three experts, the only repeat being grace's second turn after expiry
    statuses = list(
        Assignment.objects.filter(question=question)
        .order_by("pk")
        .values_list("expert__user__email", "status")
    )
    assert statuses == [
        ("ada@example.com", "declined"),
        ("grace@example.com", "expired"),
        ("grace@example.com", "declined"),
        ("linus@example.com", "resolved"),
    ]


def test_a_waiting_question_is_routed_when_capacity_frees(
    worker_and_beat: dict[str, Any], real_broker: None, cast: Any, ask: Any, online: Any
) -> None:
    online(cast.ada)
    Presence.objects.filter(user=cast.ada).update(capacity=1)
    first = ask("First: are they waterproof?")
    assert wait_for(lambda: offered(first))
    services.assignment_accept(assignment_id=offered(first)[0].pk, user=cast.ada)

    second = ask("Second: how do they size?")
    time.sleep(2)
    assert offered(second) == []  # ada is full

    services.question_resolve(question_id=first.pk, actor=cast.ada)
    assert wait_for(lambda: offered(second)), "freeing capacity did not route the waiting question"


def test_sla_breach_escalates_via_beat(
    worker_and_beat: dict[str, Any], real_broker: None, cast: Any, ask: Any
) -> None:
    question = ask()
    Question.objects.filter(pk=question.pk).update(sla_due_at=timezone.now())
    assert wait_for(lambda: Question.objects.get(pk=question.pk).status == "escalated", timeout=30)


def test_a_killed_worker_loses_nothing(
    require_postgres: None, require_redis: str, real_broker: None, cast: Any, ask: Any, online: Any
) -> None:
    # given: a worker that dies (SIGKILL, whole process group) right after the question waits
    doomed = start_worker(require_redis)
    online(cast.ada)
    time.sleep(3)
    os.killpg(doomed.pid, signal.SIGKILL)
    question = ask()  # its route_question message may be lost with the dead worker

    # when: a fresh worker and beat start
    fresh, beat = start_worker(require_redis), start_worker(require_redis, beat=True)
    try:
        # then: the database state (a waiting question) is enough; the sweeper routes it
        assert wait_for(lambda: offered(question), timeout=40)
        assert Assignment.objects.filter(question=question).count() == 1  # offered once
    finally:
        with_timeout_stop(fresh)
        with_timeout_stop(beat)
