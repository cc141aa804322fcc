"""What a request publishes after its commit: one producer, one broker round trip, and a
fallback to one message at a time when the batch cannot be sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from gigcx.celery import app
from routing.models import Question

pytestmark = pytest.mark.django_db


def _fresh_pools() -> None:
    """Forget the app's connection and producer pools: the next publish takes the pools of
    the broker configured now. (Not closed: kombu keeps them by broker address and hands
    the same ones out again.)"""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def not_eager() -> Iterator[None]:
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    _fresh_pools()
    yield
    app.conf.task_always_eager = eager
    _fresh_pools()


def _ask(api: Any, capture: Any) -> Any:
    with capture(execute=True):
        response = api.post(
            "/api/v1/brands/acme/questions",
            {"body": "Is the Ridgeline 2P free-standing?", "contact_email": "walk.in@example.com"},
            format="json",
        )
    assert response.status_code == 201, response.content
    return response


def test_an_anonymous_question_publishes_its_tasks_in_one_batch_with_the_token_sealed(
    cast: Any,
    api: Any,
    not_eager: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from celery.app.task import Task

    published: list[tuple[str, tuple[Any, ...], Any, bool]] = []

    def record(self: Task, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        producer = options.get("producer")
        batching = getattr(getattr(producer, "_batch_local", None), "current", None) is not None
        published.append((self.name, tuple(args or ()), producer, batching))

    monkeypatch.setattr(Task, "apply_async", record)

    response = _ask(api, django_capture_on_commit_callbacks)

    # then: triage and the private-link mail go through one producer, inside one batch
    question_id, token = response.json()["id"], response.json()["access_token"]
    assert [name for name, *_ in published] == [
        "routing.triage_question",
        "routing.send_question_link",
    ]
    assert published[0][2] is not None
    assert published[0][2] is published[1][2]
    assert all(batching for *_, batching in published)
    # and the token is not in the message, only sealed; the worker's mail carries the link
    link_args = published[1][1]
    assert token not in repr(link_args)
    from routing.tasks import send_question_link

    send_question_link.run(*link_args)
    [message] = mail.outbox
    assert f"/q/{question_id}/#t={token}" in message.body


def test_a_batch_the_broker_refuses_still_saves_the_question_and_mails_the_link(
    cast: Any, api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a real publish to a broker nobody listens on (connection refused)
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    _fresh_pools()
    try:
        response = _ask(api, django_capture_on_commit_callbacks)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
        _fresh_pools()

    # then: saved (the sweeper triages it), and the mail nobody else owns was sent here
    assert Question.objects.get(pk=response.json()["id"]).status == Question.Status.NEW
    [message] = mail.outbox
    assert re.search(r"/q/\d+/#t=\S+", message.body)
