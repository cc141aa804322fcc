"""Webhook deliveries: signed per Standard Webhooks, retried with backoff, exactly one
successful delivery per message id, redacted payloads, and nothing lost to a dead worker."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.events import event_deliver
from gigcx.models import AuditEvent
from integrations import services
from integrations.models import WebhookDelivery
from integrations.tasks import sweep_webhooks
from routing import services as routing_services
from tests.integrations.conftest import Receiver, events_named

pytestmark = pytest.mark.django_db

SECRET_WORDS = "My email is carol.smith@example.com, call +44 7700 900123 about my Trailblazer 2"


def _endpoint(cast: Any, receiver: Receiver, events: list[str]) -> Any:
    endpoint, secret = services.webhook_endpoint_create(
        brand=cast.acme, url=receiver.url, events=events, actor=cast.sam
    )
    receiver.secret = secret
    return endpoint


def _due_now(delivery: WebhookDelivery) -> None:
    """As if the backoff had elapsed."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def _ask(cast: Any, body: str = SECRET_WORDS) -> Any:
    question, _ = routing_services.question_create(brand=cast.acme, asked_by=cast.carol, body=body)
    return question


def test_a_receiver_answering_500_then_200_gets_the_message_once_with_a_valid_signature(
    cast: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an endpoint for new questions whose receiver fails the first time
    _endpoint(cast, receiver, ["question.asked"])
    receiver.script = [500]
    question = _ask(cast)
    [event] = events_named("question.asked")

    # when: the outbox delivers the event (the delivery row, then the first attempt)
    with django_capture_on_commit_callbacks(execute=True):
        event_deliver(event_id=str(event.pk))

    # then: one attempt failed and the next waits its backoff
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=3)
    assert len(receiver.requests) == 1
    assert sweep_webhooks.apply().get() == 0  # not due yet: nothing is sent early

    # when: the backoff elapses and the sweep runs
    _due_now(delivery)
    assert sweep_webhooks.apply().get() == 1

    # then: delivered; both tries carried the same webhook-id, the success verifies with the
    # package's own verifier, and nothing is sent again however often the sweep runs
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    assert delivery.delivered_at is not None
    assert [r.answered for r in receiver.requests] == [500, 200]
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.message_id}
    [success] = receiver.successes
    message = receiver.verified(success)
    assert message["type"] == "question.asked"
    assert message["data"]["question"]["id"] == question.pk
    assert receiver.handled == [delivery.message_id]
    _due_now(delivery)
    assert sweep_webhooks.apply().get() == 0
    assert len(receiver.requests) == 2


def test_a_tampered_body_or_another_secret_fails_verification(
    cast: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    with django_capture_on_commit_callbacks(execute=True):
        event_deliver(event_id=str(events_named("question.asked")[0].pk))
    [received] = receiver.requests

    with pytest.raises(WebhookVerificationError):
        Webhook(receiver.secret).verify(
            received.body.replace("question", "quest1on"), received.headers
        )
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 8).verify(received.body, received.headers)


def test_the_payload_carries_redacted_text_and_no_customer_email(
    cast: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(cast, receiver, ["question.asked"])
    question = _ask(cast)
    with django_capture_on_commit_callbacks(execute=True):
        event_deliver(event_id=str(events_named("question.asked")[0].pk))

    [received] = receiver.requests
    data = json.loads(received.body)["data"]
    assert data["question"]["text"] == "My email is [email], call [phone] about my Trailblazer 2"
    for leak in ("carol.smith@example.com", "7700 900123", cast.carol.email, question.body):
        assert leak not in received.body
        assert leak not in json.dumps(WebhookDelivery.objects.get().payload)
    assert set(data["question"]) == {
        "id",
        "brand",
        "product_id",
        "status",
        "text",
        "created_at",
        "resolved_at",
    }


def test_every_event_kind_reaches_an_endpoint_subscribed_to_it(
    cast: Any, receiver: Receiver, ask: Any, online: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an endpoint for the whole life of a question
    _endpoint(
        cast,
        receiver,
        ["question.offered", "question.accepted", "question.resolved", "question.rated"],
    )
    online(cast.ada)
    question = ask()
    [offer] = routing_services.routing_offer_question(question_id=question.pk)
    routing_services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    routing_services.question_resolve(question_id=question.pk, actor=cast.ada)
    from quality.services import rating_create

    rating_create(question=question, score=5, solved=True, comment="", actor=cast.carol)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        for name in (
            "question.offered",
            "question.accepted",
            "question.resolved",
            "question.rated",
        ):
            for event in events_named(name):
                event_deliver(event_id=str(event.pk))

    # then: one message per event, in order, each signed
    types = [receiver.verified(r)["type"] for r in receiver.requests]
    assert types == ["question.offered", "question.accepted", "question.resolved", "question.rated"]
    rated = json.loads(receiver.requests[-1].body)["data"]
    assert rated["rating"] == 5
    assert rated["solved"] is True
    assert rated["question"]["status"] == "resolved"


def test_events_the_endpoint_did_not_choose_and_disabled_endpoints_send_nothing(
    cast: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(cast, receiver, ["question.resolved"])
    _ask(cast)
    disabled = _endpoint(cast, receiver, ["question.asked"])
    services.webhook_endpoint_update(endpoint=disabled, actor=cast.sam, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        event_deliver(event_id=str(events_named("question.asked")[0].pk))

    assert not WebhookDelivery.objects.filter(endpoint__in=[endpoint, disabled]).exists()
    assert receiver.requests == []


def test_redelivering_an_event_makes_no_second_delivery(cast: Any, receiver: Receiver) -> None:
    _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    [event] = events_named("question.asked")

    assert len(services.webhook_event_fanout(event=event)) == 1
    assert services.webhook_event_fanout(event=event) == []  # the outbox ran it again
    assert WebhookDelivery.objects.count() == 1


def test_a_delivery_whose_task_never_ran_is_sent_by_the_sweep(
    cast: Any, receiver: Receiver
) -> None:
    # given: the delivery row committed with the event, but its task was lost (the worker
    # died before it ran: no on-commit callback runs in this test)
    _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    event_deliver(event_id=str(events_named("question.asked")[0].pk))
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []

    # when
    assert sweep_webhooks.apply().get() == 1

    # then
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert len(receiver.successes) == 1


def test_an_attempt_that_died_mid_request_is_sent_again_after_its_lease(
    cast: Any, receiver: Receiver
) -> None:
    # given: an attempt claimed the delivery and its worker died before recording anything
    _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    event_deliver(event_id=str(events_named("question.asked")[0].pk))
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, last_attempt_at=now, next_attempt_at=now + services._lease()
    )

    # then: nothing while the lease holds; sent once it runs out, with the same id
    assert sweep_webhooks.apply().get() == 0
    _due_now(delivery)
    assert sweep_webhooks.apply().get() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.message_id]


def test_two_attempts_at_once_send_once(cast: Any, receiver: Receiver) -> None:
    _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    event_deliver(event_id=str(events_named("question.asked")[0].pk))
    delivery = WebhookDelivery.objects.get()

    first = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    second = services.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert first is not None
    assert second is None
    assert len(receiver.requests) == 1


def test_retries_back_off_then_give_up(cast: Any, receiver: Receiver) -> None:
    _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    event_deliver(event_id=str(events_named("question.asked")[0].pk))
    delivery = WebhookDelivery.objects.get()
    receiver.script = [503] * services.MAX_ATTEMPTS

    waits = []
    for _ in range(services.MAX_ATTEMPTS):
        _due_now(delivery)
        attempt = services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert attempt is not None
        waits.append(attempt.retry_in)

    assert waits == [*services.RETRY_DELAYS, None]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.last_error == "The endpoint answered 503."
    assert len(receiver.requests) == services.MAX_ATTEMPTS


def test_a_redirect_is_not_followed_and_counts_as_a_failure(cast: Any, receiver: Receiver) -> None:
    _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    event_deliver(event_id=str(events_named("question.asked")[0].pk))
    receiver.script = [302]

    attempt = services.webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)

    assert attempt is not None
    assert attempt.retry_in == services.RETRY_DELAYS[0]
    assert attempt.delivery.last_status_code == 302
    assert len(receiver.requests) == 1


def test_replay_sends_the_same_message_id_again_and_is_audited(
    cast: Any, receiver: Receiver, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a delivered message
    endpoint = _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    with django_capture_on_commit_callbacks(execute=True):
        event_deliver(event_id=str(events_named("question.asked")[0].pk))
    delivery = WebhookDelivery.objects.get(status="delivered")

    # when: sam replays it from the API
    url = f"/api/v1/brands/acme/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(cast.sam).post(url)

    # then
    assert response.status_code == 200, response.content
    assert response.json()["message_id"] == delivery.message_id
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.message_id] * 2
    receiver.verified(receiver.requests[-1])
    assert AuditEvent.objects.filter(action="webhook.delivery_replayed", actor=cast.sam).exists()


def test_replay_from_the_page(
    cast: Any, receiver: Receiver, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(cast, receiver, ["question.asked"])
    _ask(cast)
    receiver.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        event_deliver(event_id=str(events_named("question.asked")[0].pk))
    delivery = WebhookDelivery.objects.get()
    client.force_login(cast.sam)

    page = client.get(f"/brands/acme/manage/webhooks/{endpoint.pk}/")
    assert page.status_code == 200
    assert delivery.message_id in page.content.decode()
    replay = f"/brands/acme/manage/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay/"
    assert replay in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(replay)

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert [r.answered for r in receiver.requests] == [500, 200]
    assert AuditEvent.objects.filter(action="webhook.delivery_replayed").count() == 1


def test_a_rotated_secret_signs_the_next_attempt(
    cast: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(cast, receiver, ["question.asked"])
    old = receiver.secret
    receiver.secret = services.webhook_secret_rotate(endpoint=endpoint, actor=cast.sam)
    _ask(cast)
    with django_capture_on_commit_callbacks(execute=True):
        event_deliver(event_id=str(events_named("question.asked")[0].pk))

    assert receiver.secret != old
    assert receiver.secret.startswith("whsec_")
    receiver.verified(receiver.requests[0])
    assert AuditEvent.objects.filter(action="webhook.secret_rotated").exists()


def test_payout_paid_and_failed_reach_the_brand(
    cast: Any, receiver: Receiver, earned: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from payments import services as payments
    from payments.providers import Outcome

    # given: two payouts of ada's, and an endpoint for payouts
    earned(cast.ada, 4)
    payments.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    paid = payments.payout_request(user=cast.ada, brand=cast.acme, amount=1000)
    failed = payments.payout_request(user=cast.ada, brand=cast.acme, amount=1000)
    _endpoint(cast, receiver, ["payout.paid", "payout.failed"])

    # when: the provider answers
    payments.payout_record_outcome(payout_id=paid.pk, outcome=Outcome("paid", reference="tr_1"))
    payments.payout_record_outcome(
        payout_id=failed.pk, outcome=Outcome("failed", reason="account closed")
    )
    with django_capture_on_commit_callbacks(execute=True):
        for event in [*events_named("payout.paid"), *events_named("payout.failed")]:
            event_deliver(event_id=str(event.pk))

    # then
    messages = [receiver.verified(r) for r in receiver.requests]
    assert [(m["type"], m["data"]["payout"]["id"]) for m in messages] == [
        ("payout.paid", paid.pk),
        ("payout.failed", failed.pk),
    ]
    assert messages[1]["data"]["payout"]["status"] == "failed"
    assert messages[1]["data"]["payout"]["amount"] == 1000


def test_finished_deliveries_are_pruned_after_the_log_days(
    cast: Any, receiver: Receiver, settings: Any
) -> None:
    from integrations.tasks import prune_deliveries

    _endpoint(cast, receiver, ["question.asked"])
    for body in ("Do the Trailblazer 2 run narrow?", "Do the Trailblazer 2 run wide?"):
        _ask(cast, body)
    for event in events_named("question.asked"):
        services.webhook_event_fanout(event=event)
    old, fresh = WebhookDelivery.objects.order_by("pk")
    services.webhook_delivery_attempt(delivery_id=old.pk)
    services.webhook_delivery_attempt(delivery_id=fresh.pk)
    long_ago = timezone.now() - timedelta(days=settings.GIGCX_WEBHOOKS_LOG_DAYS + 1)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=long_ago)

    assert prune_deliveries.apply().get() == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_a_bank_batch_marked_paid_tells_the_brand(
    cast: Any, receiver: Receiver, earned: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from payments import services as payments
    from tests.payments.conftest import IBAN

    earned(cast.ada, 4)
    payments.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    batch = payments.payout_batch_run(brand=cast.acme, actor=cast.sam)
    [payout] = batch.payouts.all()
    _endpoint(cast, receiver, ["payout.paid"])

    payments.payout_mark_paid(brand=cast.acme, payout_ids=[payout.pk], actor=cast.sam)
    with django_capture_on_commit_callbacks(execute=True):
        for event in events_named("payout.paid"):
            event_deliver(event_id=str(event.pk))

    [received] = receiver.requests
    message = receiver.verified(received)
    assert message["data"]["payout"]["id"] == payout.pk
    assert message["data"]["payout"]["provider"] == "bank"
    assert message["data"]["payout"]["status"] == "paid"
    assert "Ada Lovelace" not in received.body
    assert IBAN not in received.body
