"""The webhooks pages and API errors in German: the list, the form's errors, an endpoint's
page with its delivery log and flash messages, and a refused URL; codes stay as they are."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.integrations.conftest import Receiver
from tests.integrations.test_webhook_endpoints import (  # noqa: F401 - a fixture, reused
    _acme_endpoint_with_a_delivery,
    dns,
)

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}
PAGE = "/brands/acme/manage/webhooks/"


def german(client: Any, url: str, **kwargs: Any) -> str:
    response = client.get(url, **GERMAN, **kwargs)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "de"
    return response.content.decode()


def test_the_owner_reads_the_webhooks_page_in_german(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)

    page = german(client, PAGE)

    assert "<h1>Webhooks</h1>" in page
    assert "Endpunkt hinzufügen" in page
    assert "Noch keine Endpunkte." in page
    assert "Ein Kunde hat eine Frage gestellt" in page  # an event's label on the form
    assert "Eine Auszahlung an einen Experten ist fehlgeschlagen" in page
    for english in (
        "Add an endpoint",
        "No endpoints yet",
        "A customer asked a question",
        "Tell your own systems",
        "https, on a public address",
    ):
        assert english not in page


@pytest.mark.usefixtures("dns")
def test_the_form_refuses_a_private_address_and_no_events_in_german(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)

    private = client.post(
        PAGE, {"url": "https://169.254.169.254/", "events": ["question.asked"]}, **GERMAN
    )
    no_events = client.post(PAGE, {"url": "https://hooks.example.com/x"}, **GERMAN)
    plain_http = client.post(
        PAGE, {"url": "http://hooks.example.com/x", "events": ["question.asked"]}, **GERMAN
    )

    assert private.status_code == no_events.status_code == plain_http.status_code == 400
    private_html = private.content.decode()
    assert "169.254.169.254" in private_html
    assert "nur an öffentliche Internetadressen" in private_html
    assert "webhooks go only to public internet addresses" not in private_html
    assert "Wählen Sie mindestens ein Ereignis." in no_events.content.decode()
    assert "Choose at least one event." not in no_events.content.decode()
    assert "Verwenden Sie eine https://-URL" in plain_http.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoints_page_its_log_and_flash_messages_are_german(
    cast: Any, client: Any, receiver: Receiver
) -> None:
    endpoint, delivery = _acme_endpoint_with_a_delivery(cast, receiver)
    client.force_login(cast.sam)
    url = f"{PAGE}{endpoint.pk}/"

    page = german(client, url)
    disabled = client.post(f"{url}disable/", follow=True, **GERMAN)
    replay = client.post(f"{url}deliveries/{delivery.pk}/replay/", follow=True, **GERMAN)

    assert "Signaturgeheimnis" in page
    assert "Zustellprotokoll" in page
    assert "Geheimnis anzeigen" in page
    assert delivery.message_id in page
    for english in ("Signing secret", "Delivery log", "Reveal secret", "Rotate secret", ">Replay<"):
        assert english not in page
    assert "Deaktiviert: Bis zur erneuten Aktivierung wird nichts gesendet." in (
        disabled.content.decode()
    )
    # a disabled endpoint's deliveries are not replayed; the refusal is German too
    assert "Dieser Endpunkt ist deaktiviert" in replay.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 0


@pytest.mark.usefixtures("dns")
def test_api_errors_are_german_and_keep_their_codes(
    cast: Any, api_as: Any, receiver: Receiver
) -> None:
    endpoint, _ = _acme_endpoint_with_a_delivery(cast, receiver)
    client = api_as(cast.sam)
    webhooks = "/api/v1/brands/acme/webhooks"

    refused = client.post(
        webhooks,
        {"url": "https://user:pw@hooks.example.com/x", "events": ["question.asked"]},
        format="json",
        **GERMAN,
    )
    bad_filter = client.get(f"{webhooks}/{endpoint.pk}/deliveries", {"status": "lost"}, **GERMAN)

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid"
    assert "Benutzername und Passwort" in error["fields"]["url"][0]
    assert "user name and password" not in error["message"]
    assert bad_filter.status_code == 400
    assert (
        "Verwenden Sie eines von: pending, delivered, failed."
        in (bad_filter.json()["error"]["fields"]["status"][0])
    )
    assert WebhookEndpoint.objects.count() == 1
