"""The brand's webhooks pages in Chromium: add an endpoint, reveal its secret, replay a failed
delivery to a real local receiver; screenshots at desktop and phone widths."""

from __future__ import annotations

from typing import Any

import pytest

from integrations import services
from integrations.models import WebhookDelivery, WebhookEndpoint
from routing import services as routing_services
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_expert_workspace import settled
from tests.integrations.conftest import Receiver, events_named, receiver  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def log(cast: Any, held_tasks: Any, receiver: Receiver) -> WebhookEndpoint:  # noqa: F811
    """An endpoint with one delivered message and one that failed with a 500."""
    endpoint, receiver.secret = services.webhook_endpoint_create(
        brand=cast.acme,
        url=receiver.url,
        events=["question.asked", "question.resolved"],
        description="CRM sync",
        actor=cast.sam,
    )
    receiver.script = [200, 500]
    for body in ("Do the Trailblazer 2 run narrow?", "My email is carol@example.com, sizes?"):
        routing_services.question_create(brand=cast.acme, asked_by=cast.carol, body=body)
    for event in events_named("question.asked"):
        [delivery] = services.webhook_event_fanout(event=event)
        services.webhook_delivery_attempt(delivery_id=delivery.pk)
    return endpoint


def test_staff_add_an_endpoint_reveal_its_secret_and_replay_a_delivery(
    page: Any,
    phone: Any,
    live_server: Any,
    cast: Any,
    log: WebhookEndpoint,
    receiver: Receiver,  # noqa: F811
) -> None:
    log_in(page, live_server.url, "sam@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/webhooks/")
    page.locator("#webhook-endpoints").get_by_text(log.url).wait_for()

    # add an endpoint through the form
    page.fill("input[name=url]", receiver.url.replace("/hooks/", "/other/"))
    page.fill("input[name=description]", "Warehouse")
    page.check("input[name=events][value='payout.paid']")
    page.click("#add-endpoint button[type=submit]")
    page.locator("#secret-value").wait_for()
    added = settled(lambda: WebhookEndpoint.objects.get(description="Warehouse"))
    assert page.locator("#secret-value").inner_text() == added.secret
    screenshot(page, "webhooks-added-1280")

    # the first endpoint: the log, the secret behind a click, a replay
    page.goto(f"{live_server.url}/brands/acme/manage/webhooks/{log.pk}/")
    failed = settled(lambda: WebhookDelivery.objects.get(endpoint=log, last_status_code=500))
    row = page.locator(f"tr[data-delivery='{failed.pk}']")
    assert "Pending" in row.inner_text()
    assert "500" in row.inner_text()
    assert page.locator("#secret-value").count() == 0
    screenshot(page, "webhooks-detail-1280")
    page.click("#reveal-secret")
    page.locator("#secret-value").wait_for()
    assert page.locator("#secret-value").inner_text() == settled(lambda: log.secret)
    page.goto(f"{live_server.url}/brands/acme/manage/webhooks/{log.pk}/")
    page.locator(f"tr[data-delivery='{failed.pk}'] button", has_text="Replay").click()
    page.get_by_text(f"Sending {failed.message_id} again now.").wait_for()
    settled(lambda: services.webhook_delivery_attempt(delivery_id=failed.pk))  # the held task
    page.reload()
    assert "Delivered" in page.locator(f"tr[data-delivery='{failed.pk}']").inner_text()
    assert [r.headers["webhook-id"] for r in receiver.requests[-2:]] == [failed.message_id] * 2
    receiver.verified(receiver.requests[-1])

    # on a phone
    log_in(phone, live_server.url, "sam@acme.example")
    phone.goto(f"{live_server.url}/brands/acme/manage/webhooks/{log.pk}/")
    phone.locator("#delivery-log").wait_for()
    screenshot(phone, "webhooks-detail-390")
    phone.goto(f"{live_server.url}/brands/acme/manage/webhooks/")
    screenshot(phone, "webhooks-list-390")
